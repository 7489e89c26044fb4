import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, it } from 'node:test';
import { reservePort, startOnFreePorts, type DaemonOptions } from './daemon.js';

// A server that exits with EADDRINUSE when its port is taken, as Go's servers do.
const server = (port: number): DaemonOptions => ({
  name: 'test server',
  bin: process.execPath,
  args: ['-e', `require('net').createServer().listen(${port}, '127.0.0.1')`],
  ready: () =>
    new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => (s.end(), resolve(true)));
      s.once('error', () => resolve(false));
    }),
});

describe('startOnFreePorts', () => {
  it('starts again on new ports when another process bound the chosen one first', async () => {
    const taken = await reservePort(); // the "other process"
    const tried: number[] = [];
    const { daemon, ports } = await startOnFreePorts(1, ([port]) => {
      tried.push(port);
      // The first start loses the race: its port is the taken one.
      return server(tried.length === 1 ? taken.port : port);
    });
    try {
      assert.equal(tried.length, 2);
      assert.notEqual(ports[0], taken.port);
      assert.equal(ports[0], tried[1]);
    } finally {
      await daemon.close();
      await taken.release();
    }
  });

  it('gives up after its attempts with the server output, and does not retry other failures', async () => {
    const taken = await reservePort();
    try {
      await assert.rejects(startOnFreePorts(1, () => server(taken.port), 2), /test server .* exited: .*EADDRINUSE/s);
      let calls = 0;
      await assert.rejects(
        startOnFreePorts(1, () => (calls++, { ...server(0), args: ['-e', 'process.exit(3)'] })),
        /exited/,
      );
      assert.equal(calls, 1);
    } finally {
      await taken.release();
    }
  });
});
