// One writing run per state directory. Two concurrent `orel release` runs of
// one plan would interleave journal records and uploads; the second refuses,
// naming the holder. A lock left by a run that died (kill -9) is recovered.
import { OrelError, isProcessAlive } from '@orel/core';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { rmdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';

interface LockInfo {
  pid: number;
  host: string;
  command: string;
  since: string;
}

function readLock(file: string): LockInfo | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as LockInfo;
  } catch {
    return undefined;
  }
}

/** Takes the lock (`<stateDir>/lock`) and returns its release. */
export async function acquireLock(stateDir: string, command: string): Promise<() => Promise<void>> {
  const created = !existsSync(stateDir);
  mkdirSync(stateDir, { recursive: true });
  const file = join(stateDir, 'lock');
  const me: LockInfo = { pid: process.pid, host: hostname(), command, since: new Date().toISOString() };
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, JSON.stringify(me));
      closeSync(fd);
      return async () => {
        if (readLock(file)?.pid === process.pid) rmSync(file, { force: true });
        // A directory made only for the lock goes with it (a refused first run leaves nothing behind).
        if (created) await rmdir(stateDir).catch(() => undefined);
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 2) throw e;
    }
    const holder = readLock(file);
    // A lock from this host whose process is gone is stale; a lock being written (unreadable) is live.
    const stale = holder !== undefined && holder.host === me.host && !isProcessAlive(holder.pid);
    if (!stale) {
      const who = holder ? `pid ${holder.pid} on ${holder.host}, \`orel ${holder.command}\` since ${holder.since}` : 'another orel run';
      throw new OrelError('LOCKED', `${stateDir} is in use by ${who}`, {
        hint: `wait for that run to finish; if it is gone for good (another machine), remove ${file}`,
      });
    }
    rmSync(file, { force: true });
  }
}
