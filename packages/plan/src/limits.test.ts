import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkGitHubLimits, checkPlanGitHubLimits, countGitHubAssets, GITHUB_MAX_ASSET_BYTES } from './limits.js';
import type { Plan } from './types.js';

describe('GitHub limits', () => {
  it('counts assets per artifact and per release', () => {
    const c = countGitHubAssets({ artifacts: 301, signing: { what: 'artifacts', outputs: ['sig', 'cert', 'bundle'] }, notes: false });
    assert.equal(c.total, 1204);
    assert.deepEqual(c.perArtifact, ['file', '.sig', '.cert', '.sigstore.json']);
    const k = countGitHubAssets({ artifacts: 10, signing: { what: 'checksums', outputs: ['bundle'], publicKey: true }, checksumFiles: ['SHA256SUMS'], perFileChecksums: ['sha256'] });
    // 10 × (file + .sha256) + SHA256SUMS + SHA256SUMS.sigstore.json + cosign.pub + VERIFY.md
    assert.equal(k.total, 24);
    // Spin: one crt.pem for the whole release, not one per file; signing artifacts leaves SHA256SUMS unsigned.
    const spin = countGitHubAssets({ artifacts: 301, signing: { what: 'artifacts', outputs: ['sig', 'cert'], names: { bundle: '{file}.sigstore.json', sig: '{file}.sig', cert: 'crt.pem' } }, checksumFiles: ['SHA256SUMS'], notes: false });
    assert.deepEqual([spin.perArtifact, spin.shared, spin.total], [['file', '.sig'], ['SHA256SUMS', 'crt.pem'], 604]);
  });

  it('explains too many assets with the numbers and the fix', () => {
    const count = countGitHubAssets({ artifacts: 301, signing: { what: 'artifacts', outputs: ['sig', 'cert', 'bundle'] }, notes: false });
    const [p] = checkGitHubLimits({ target: 'gh', assets: [], count });
    assert.match(p, /github target 'gh' would receive 1,204 assets \(301 artifacts × 4 files each: file, \.sig, \.cert, \.sigstore\.json\); GitHub allows 1,000/);
    assert.match(p, /signing\.outputs: \[bundle\]/);
    assert.match(p, /signing\.what: checksums/);
    assert.deepEqual(checkGitHubLimits({ target: 'gh', assets: Array.from({ length: 1000 }, (_, i) => ({ name: `f${i}`, size: 1 })) }), []);
  });

  it('flags assets of 2 GiB or more', () => {
    const ps = checkGitHubLimits({ target: 'gh', assets: [{ name: 'big.iso', size: GITHUB_MAX_ASSET_BYTES }, { name: 'ok', size: GITHUB_MAX_ASSET_BYTES - 1 }] });
    assert.equal(ps.length, 1);
    assert.match(ps[0], /"big\.iso" is 2,147,483,648 bytes/);
  });

  it('checks every github target of a plan', () => {
    const plan = {
      apiVersion: 'orel.dev/v1',
      release: { name: 't', version: '1.0.0' },
      signers: { k: { type: 'keyless' } },
      signing: { signer: 'k', what: 'artifacts', outputs: ['sig', 'cert'] },
      checksums: { files: [{ name: 'SHA256SUMS', algorithm: 'sha256' }] },
      targets: [
        { name: 'gh', url: 'github://a/b' },
        { name: 'files', url: 'file://out' },
      ],
    } as Plan;
    const arts = Array.from({ length: 333 }, (_, i) => ({ name: `a${i}`, size: 10 }));
    const ps = checkPlanGitHubLimits(plan, arts);
    assert.equal(ps.length, 1);
    // 333 × 3 + SHA256SUMS + VERIFY.md = 1,001 (signing artifacts leaves SHA256SUMS unsigned)
    assert.match(ps[0], /'gh' would receive 1,001 assets/);
    assert.deepEqual(checkPlanGitHubLimits(plan, arts.slice(0, 300)), []);
  });
});
