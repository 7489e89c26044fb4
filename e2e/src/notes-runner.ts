// Runs every command a VERIFY.md prints, verbatim, with the tool it names:
// orel, the real cosign, sha256sum/sha512sum. cosign must accept each line
// without a deprecation warning. Then every signature line must fail with a
// foreign identity, issuer or key, and with the file it checks tampered with.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { extractCommands, shellWords } from '@orel/release';
import { orel } from './helpers.js';
import { peer, runPeer, type Peer } from './peers.js';

const cosign = peer('cosign');

/** Why a notes run cannot happen here (cosign missing), for a test's skip. */
export const notesSkip = typeof cosign === 'string' ? cosign : undefined;

/** A public key no release was signed with. */
function otherKey(dir: string): string {
  const file = join(dir, 'other.pub');
  writeFileSync(file, generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }));
  return file;
}

async function runLine(line: string, cwd: string, env: Record<string, string> = {}): Promise<{ status: number; out: string }> {
  const [tool, ...args] = shellWords(line);
  if (tool === 'orel') {
    const r = await orel(args, { cwd });
    return { status: r.status, out: `${r.stdout}\n${r.stderr}` };
  }
  return runPeer(tool === 'cosign' ? (cosign as Peer).path : tool, args, cwd, env);
}

/** Executes the VERIFY.md in `dir` (the published release) line by line, in `env`; returns the lines run. */
export async function runVerifyNotes(t: TestContext, dir: string, env: Record<string, string> = {}): Promise<string[]> {
  t.diagnostic(`cosign ${(cosign as Peer).version}`);
  const lines = extractCommands(readFileSync(join(dir, 'VERIFY.md'), 'utf8')).filter((c) => !c.startsWith('curl'));
  assert.ok(lines.some((c) => c.startsWith('cosign ')) && lines.some((c) => c.startsWith('orel ')), lines.join('\n'));
  for (const line of lines) {
    const res = await runLine(line, dir, env);
    assert.equal(res.status, 0, `${line}\n${res.out}`);
    // A release without bundles gets the detached form, whose deprecation VERIFY.md mentions; any other cosign line runs clean.
    if (line.startsWith('cosign ') && !line.includes(' --signature ')) assert.doesNotMatch(res.out, /deprecated/i, line);
  }
  // Another signer: each signature line with a foreign identity, issuer or key fails.
  const foreign: [string, string][] = [
    ['--certificate-identity', 'https://github.com/attacker/x/.github/workflows/r.yml@refs/heads/main'],
    ['--certificate-oidc-issuer', 'https://accounts.google.com'],
    ['--key', otherKey(dir)],
  ];
  for (const line of lines.filter((c) => c.startsWith('cosign ') || c.startsWith('orel '))) {
    const words = shellWords(line);
    for (const [flag, value] of foreign) {
      const at = words.indexOf(flag);
      if (at < 0) continue;
      const changed = words.map((w, i) => (i === at + 1 ? value : w));
      const [tool, ...args] = changed;
      const r = tool === 'orel' ? await orel(args, { cwd: dir }) : await runPeer((cosign as Peer).path, args, dir, env);
      assert.notEqual(r.status, 0, `accepted ${flag} ${value}: ${line}`);
    }
  }
  // The files they check tampered with (the signed file; the one an attestation line names): every signature line fails.
  const signatureLines = lines.filter((c) => c.startsWith('cosign ') || c.startsWith('orel '));
  const subjectOf = (line: string): string => {
    const w = shellWords(line);
    return w[1] === 'verify-blob-attestation' ? w[w.length - 1] : w[2];
  };
  for (const file of new Set(signatureLines.map(subjectOf))) appendFileSync(join(dir, file), 'x');
  for (const line of signatureLines) {
    assert.notEqual((await runLine(line, dir, env)).status, 0, `accepted a tampered file: ${line}`);
  }
  return lines;
}
