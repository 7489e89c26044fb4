// Forgery helpers for the adversarial verification tests: replace a staged
// file and update its record in every copy of the stage manifest (the
// published one and the state directory's), so that the file's own bytes
// pass the digest check and only what it says can fail verification.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { orel } from './helpers.js';

export interface StagedRecords {
  /** Publishes `bytes` as `name` in the staging directory, its record updated. */
  replace(name: string, bytes: Buffer): void;
  /** Puts back every file replaced and every manifest. */
  restore(): void;
}

export async function stagedRecords(ws: { dir: string; sandbox: string }, plan: string, stagingDir: string): Promise<StagedRecords> {
  const manifests = [join(stagingDir, 'orel-stage-manifest.json')];
  const status = (await orel(['status', '--plan', plan, '--sandbox', ws.sandbox, '--json'], { cwd: ws.dir })).stdout;
  const stateManifest = /"manifest":\s*"([^"]+)"/.exec(status)?.[1];
  if (stateManifest) manifests.push(stateManifest);
  const originals = new Map<string, Buffer>(manifests.map((m) => [m, readFileSync(m)]));
  return {
    replace(name, bytes) {
      const file = join(stagingDir, name);
      if (!originals.has(file)) originals.set(file, readFileSync(file));
      writeFileSync(file, bytes);
      for (const m of manifests) {
        const doc = JSON.parse(readFileSync(m, 'utf8'));
        Object.assign(doc.artifacts.find((a: { name: string }) => a.name === name), {
          size: bytes.length,
          sha256: createHash('sha256').update(bytes).digest('hex'),
          sha512: createHash('sha512').update(bytes).digest('hex'),
        });
        writeFileSync(m, JSON.stringify(doc, null, 2));
      }
    },
    restore() {
      for (const [file, bytes] of originals) writeFileSync(file, bytes);
    },
  };
}
