import { startGcsServer } from '@orel/gcs-server';
import { spawn } from 'node:child_process';
import { closeSync, ftruncateSync, openSync } from 'node:fs';
const size = 2 * 1024 * 1024 * 1024;
const fd = openSync('/tmp/g5/big.bin', 'w'); ftruncateSync(fd, size); closeSync(fd);
const srv = await startGcsServer({ buckets: ['bench'] });
const child = `
import { createGcsPublisher } from '@orel/publish';
const p = createGcsPublisher({ name: 'b', url: 'gs://bench/x', endpoint: '${srv.url}' });
const iv = setInterval(() => { const m = process.memoryUsage(); console.error(JSON.stringify({rss: m.rss>>20, heap: m.heapUsed>>20, ext: m.external>>20, ab: m.arrayBuffers>>20})); }, 1000);
await p.put({ key: 'a', source: { path: '/tmp/g5/big.bin' }, size: ${size}, sha256: '49bc20df15e412a64472421e13fe86ff1c5165e18b2afccf160d4dc19fe68a14' }).catch(e => console.error(e.message));
clearInterval(iv);
console.error('maxRSS', process.resourceUsage().maxRSS >> 10);
`;
const c = spawn(process.execPath, ['--conditions=development', '--import', 'tsx', '--input-type=module', '-e', child], { stdio: 'inherit', cwd: process.cwd() });
await new Promise((r) => c.on('close', r));
await srv.close();
