import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { extractCommands, renderVerifyNotes, shellWords, shq, type VerifyNotesInput } from './notes.js';
import { KUBERNETES_OUTPUT_NAMES } from '@orel/core';

// `cosign verify-blob` flags as documented in sigstore/cosign doc/cosign_verify-blob.md
// (v2.x Options table, plus --trusted-root / --new-bundle-format from v2.4+ and v3).
const COSIGN_VERIFY_BLOB_FLAGS = new Set([
  '--bundle',
  '--new-bundle-format',
  '--trusted-root',
  '--key',
  '--signature',
  '--certificate',
  '--certificate-chain',
  '--certificate-identity',
  '--certificate-identity-regexp',
  '--certificate-oidc-issuer',
  '--certificate-oidc-issuer-regexp',
  '--certificate-github-workflow-repository',
  '--certificate-github-workflow-ref',
  '--certificate-github-workflow-sha',
  '--certificate-github-workflow-trigger',
  '--certificate-github-workflow-name',
  '--insecure-ignore-tlog',
  '--insecure-ignore-sct',
  '--rekor-url',
  '--offline',
  '--use-signed-timestamps',
  '--rfc3161-timestamp',
  '--timestamp-certificate-chain',
]);
// Flags that take no value.
const BOOLEAN_FLAGS = new Set(['--new-bundle-format', '--insecure-ignore-tlog', '--insecure-ignore-sct', '--offline', '--use-signed-timestamps']);

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const files = (names: string[]) => names.map((name) => ({ name, sha256: sha(name) }));

const keyless: VerifyNotesInput = {
  release: { name: 'tool', version: '1.2.0' },
  files: files(['SHA256SUMS', 'tool-linux-amd64.tar.gz', 'tool-linux-amd64.tar.gz.sigstore.json', 'tool-linux-amd64.tar.gz.sig', 'tool-linux-amd64.tar.gz.cert']),
  downloadBase: 'https://github.com/acme/tool/releases/download/v1.2.0',
  signing: { mode: 'keyless', outputs: ['bundle', 'sig', 'cert'], what: 'artifacts' },
  identity: 'https://github.com/acme/tool/.github/workflows/release.yml@refs/tags/v1.2.0',
  issuer: 'https://token.actions.githubusercontent.com',
};

function checkCosignFlags(md: string): number {
  let n = 0;
  for (const c of extractCommands(md).filter((c) => c.startsWith('cosign '))) {
    const w = shellWords(c);
    assert.equal(w[1], 'verify-blob');
    for (let i = 2; i < w.length; i++) {
      if (!w[i].startsWith('--')) continue;
      assert.ok(COSIGN_VERIFY_BLOB_FLAGS.has(w[i]), `undocumented cosign flag ${w[i]} in: ${c}`);
      if (!BOOLEAN_FLAGS.has(w[i])) i++;
      n++;
    }
  }
  return n;
}

describe('VERIFY.md', () => {
  it('gives filled-in keyless commands for orel and cosign, bundle and .sig + .cert', () => {
    const md = renderVerifyNotes(keyless);
    const cmds = extractCommands(md);
    const id = keyless.identity!;
    assert.ok(
      cmds.includes(
        `orel verify-blob tool-linux-amd64.tar.gz --bundle tool-linux-amd64.tar.gz.sigstore.json --certificate-identity ${id} --certificate-oidc-issuer https://token.actions.githubusercontent.com`,
      ),
    );
    assert.ok(
      cmds.includes(
        `cosign verify-blob tool-linux-amd64.tar.gz --bundle tool-linux-amd64.tar.gz.sigstore.json --certificate-identity ${id} --certificate-oidc-issuer https://token.actions.githubusercontent.com`,
      ),
    );
    // cosign 3.1 deprecates --signature/--certificate (and --new-bundle-format): with a bundle, cosign gets the bundle.
    assert.ok(!cmds.some((c) => c.startsWith('cosign') && /--signature|--new-bundle-format/.test(c)), cmds.join('\n'));
    assert.ok(cmds.includes('sha256sum -c SHA256SUMS --ignore-missing'));
    assert.ok(cmds.includes('curl -sSfLO https://github.com/acme/tool/releases/download/v1.2.0/tool-linux-amd64.tar.gz.sigstore.json'));
    assert.match(md, /OIDC issuer: `https:\/\/token\.actions\.githubusercontent\.com`/);
    assert.match(md, new RegExp(`\\| \`SHA256SUMS\` \\| \`${sha('SHA256SUMS')}\` \\|`));
    assert.ok(checkCosignFlags(md) >= 3);
  });

  it('gives the provenance and each SBOM attestation its orel and cosign verify-blob-attestation commands, and their downloads', () => {
    const md = renderVerifyNotes({
      ...keyless,
      provenance: 'tool-1.2.0.intoto.sigstore.json',
      sboms: [{ attestation: 'tool.cdx.json.intoto.sigstore.json', sbom: 'tool.cdx.json', type: 'cyclonedx', file: 'tool-linux-amd64.tar.gz' }],
    });
    const cmds = extractCommands(md);
    const policy = `--certificate-identity ${keyless.identity} --certificate-oidc-issuer https://token.actions.githubusercontent.com`;
    assert.ok(cmds.includes(`orel verify-blob tool-linux-amd64.tar.gz --bundle tool.cdx.json.intoto.sigstore.json --type cyclonedx ${policy}`), cmds.join('\n'));
    assert.ok(cmds.includes(`cosign verify-blob-attestation --bundle tool.cdx.json.intoto.sigstore.json --type cyclonedx ${policy} tool-linux-amd64.tar.gz`));
    assert.ok(cmds.includes(`cosign verify-blob-attestation --bundle tool-1.2.0.intoto.sigstore.json --type slsaprovenance1 ${policy} tool-linux-amd64.tar.gz`));
    assert.ok(cmds.includes('curl -sSfLO https://github.com/acme/tool/releases/download/v1.2.0/tool.cdx.json.intoto.sigstore.json'));
    assert.match(md, /## SBOM\n\n`tool\.cdx\.json\.intoto\.sigstore\.json` attests the SBOM `tool\.cdx\.json`/);
    assert.equal(cmds.filter((c) => c.startsWith('curl')).length, new Set(cmds.filter((c) => c.startsWith('curl'))).size, 'each download once');
  });

  it('uses --key (and --insecure-ignore-tlog for cosign without a log) for key-signed releases', () => {
    const md = renderVerifyNotes({ ...keyless, identity: undefined, issuer: undefined, signing: { mode: 'key', outputs: ['bundle', 'sig'], what: 'artifacts' }, publicKeyName: 'cosign.pub' });
    const cmds = extractCommands(md);
    assert.ok(cmds.includes('orel verify-blob tool-linux-amd64.tar.gz --bundle tool-linux-amd64.tar.gz.sigstore.json --key cosign.pub'));
    assert.ok(cmds.includes('cosign verify-blob tool-linux-amd64.tar.gz --bundle tool-linux-amd64.tar.gz.sigstore.json --key cosign.pub --insecure-ignore-tlog'));
    const sigOnly = extractCommands(renderVerifyNotes({ ...keyless, signing: { mode: 'key', outputs: ['sig'], what: 'artifacts' } }));
    assert.ok(sigOnly.includes('cosign verify-blob tool-linux-amd64.tar.gz --signature tool-linux-amd64.tar.gz.sig --key cosign.pub --insecure-ignore-tlog'), 'no bundle: the legacy line');
    assert.ok(!/certificate-identity/.test(md));
    checkCosignFlags(md);
    const logged = renderVerifyNotes({ ...keyless, signing: { mode: 'key', outputs: ['bundle'], what: 'artifacts' }, tlog: true });
    assert.ok(!logged.includes('--insecure-ignore-tlog'));
  });

  it('a keyless .sig + .cert release without bundles: cosign only against the public-good root (its --trusted-root needs a bundle)', () => {
    const sigCert = { ...keyless, signing: { mode: 'keyless' as const, outputs: ['sig' as const, 'cert' as const], what: 'artifacts' as const } };
    const publicGood = extractCommands(renderVerifyNotes(sigCert)).filter((c) => c.startsWith('cosign'));
    assert.deepEqual(publicGood, [
      `cosign verify-blob tool-linux-amd64.tar.gz --signature tool-linux-amd64.tar.gz.sig --certificate tool-linux-amd64.tar.gz.cert --certificate-identity ${keyless.identity} --certificate-oidc-issuer https://token.actions.githubusercontent.com`,
    ]);
    const privateRoot = renderVerifyNotes({ ...sigCert, trustedRoot: 'trusted_root.json' });
    assert.deepEqual(extractCommands(privateRoot).filter((c) => c.startsWith('cosign')), []);
    assert.ok(extractCommands(privateRoot).some((c) => c.startsWith('orel verify-blob') && c.includes('--trusted-root trusted_root.json')));
  });

  it('verifies the checksum file when only checksums are signed, with regexps quoted for the shell', () => {
    const md = renderVerifyNotes({
      ...keyless,
      identity: undefined,
      identityRegexp: "^https://github\\.com/acme/.*'s$",
      signing: { mode: 'keyless', outputs: ['bundle'], what: 'checksums' },
      trustedRoot: 'trusted_root.json',
    });
    const orel = extractCommands(md).find((c) => c.startsWith('orel'))!;
    assert.deepEqual(shellWords(orel), [
      'orel', 'verify-blob', 'SHA256SUMS', '--bundle', 'SHA256SUMS.sigstore.json',
      '--certificate-identity-regexp', "^(?:^https://github\\.com/acme/.*'s$)$",
      '--certificate-oidc-issuer', 'https://token.actions.githubusercontent.com',
      '--trusted-root', 'trusted_root.json',
    ]);
    checkCosignFlags(md);
  });

  it('writes a checksum command that sha256sum accepts as written', (t) => {
    if (spawnSync('sha256sum', ['--version']).status !== 0) return t.skip('sha256sum not installed');
    const dir = mkdtempSync(join(tmpdir(), 'orel-notes-'));
    try {
      writeFileSync(join(dir, 'tool-linux-amd64.tar.gz'), 'payload');
      writeFileSync(join(dir, 'SHA256SUMS'), `${sha('payload')}  tool-linux-amd64.tar.gz\n${sha('other')}  not-downloaded.zip\n`);
      const c = extractCommands(renderVerifyNotes(keyless)).find((x) => x.startsWith('sha256sum'))!;
      const w = shellWords(c);
      assert.equal(spawnSync(w[0], w.slice(1), { cwd: dir }).status, 0);
      writeFileSync(join(dir, 'tool-linux-amd64.tar.gz'), 'tampered');
      assert.notEqual(spawnSync(w[0], w.slice(1), { cwd: dir }).status, 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('quotes only what needs quoting', () => {
    assert.equal(shq('a.b-c/d@e:f'), 'a.b-c/d@e:f');
    assert.equal(shq("it's"), `'it'\\''s'`);
    assert.deepEqual(shellWords(`x ${shq("it's here")}`), ['x', "it's here"]);
  });
});

describe('VERIFY.md determinism', () => {
  it('does not depend on the order of the files', () => {
    assert.equal(renderVerifyNotes({ ...keyless, files: [...keyless.files].reverse() }), renderVerifyNotes(keyless));
  });
});

describe('VERIFY.md under a naming convention', () => {
  it('names the outputs as written (cosign: <file>.pem), and never takes one for the example file', () => {
    const pem = { ...keyless, files: files(['SHA256SUMS', 'tool-linux-amd64.tar.gz.pem', 'tool-linux-amd64.tar.gz', 'tool-linux-amd64.tar.gz.sig']), signing: { mode: 'keyless' as const, outputs: ['sig' as const, 'cert' as const], what: 'artifacts' as const, names: { ...KUBERNETES_OUTPUT_NAMES, cert: '{file}.pem' } } };
    const md = renderVerifyNotes(pem);
    const cmds = extractCommands(md);
    assert.ok(cmds.includes(`cosign verify-blob tool-linux-amd64.tar.gz --signature tool-linux-amd64.tar.gz.sig --certificate tool-linux-amd64.tar.gz.pem --certificate-identity ${keyless.identity} --certificate-oidc-issuer https://token.actions.githubusercontent.com`), cmds.join('\n'));
    assert.ok(!md.includes('.cert'), md);
    checkCosignFlags(md);
  });

  it("Spin: each file's .sig with the one crt.pem, downloaded once, never taken for the example file", () => {
    const spin: VerifyNotesInput = {
      ...keyless,
      downloadBase: 'https://example.com/dl',
      files: files(['crt.pem', 'SHA256SUMS', 'a-tool.tar.gz', 'a-tool.tar.gz.sig']),
      signing: { mode: 'keyless', outputs: ['sig', 'cert'], what: 'artifacts', names: { ...KUBERNETES_OUTPUT_NAMES, cert: 'crt.pem' } },
    };
    const md = renderVerifyNotes(spin);
    const cmds = extractCommands(md);
    assert.ok(cmds.includes(`orel verify-blob a-tool.tar.gz --signature a-tool.tar.gz.sig --certificate crt.pem --certificate-identity ${keyless.identity} --certificate-oidc-issuer https://token.actions.githubusercontent.com`), cmds.join('\n'));
    assert.deepEqual(cmds.filter((c) => c.startsWith('curl')).map((c) => c.split('/').pop()), ['a-tool.tar.gz', 'a-tool.tar.gz.sig', 'crt.pem', 'SHA256SUMS']);
    assert.match(md, /These commands verify one downloaded file, `a-tool\.tar\.gz`/);
    checkCosignFlags(md);
  });
});

describe('VERIFY.md for a CA-certified key', () => {
  const ca: VerifyNotesInput = {
    ...keyless,
    files: files(['SHA256SUMS', 'ca-chain.pem', 'trusted_root.json', 'tool-linux-amd64.tar.gz', 'tool-linux-amd64.tar.gz.sig', 'tool-linux-amd64.tar.gz.cert']),
    signing: { mode: 'ca', outputs: ['sig', 'cert'], what: 'artifacts' },
    identity: 'release@example.com',
    issuer: undefined,
    ca: { chain: 'ca-chain.pem', trustedRoot: 'trusted_root.json', root: 'O=Example Corp, CN=Example Corp Root CA', fingerprint: 'AB:CD' },
  };

  it('trusts the published CA files, checks the identity alone in orel, and gives cosign the chain and its opt-outs', () => {
    const md = renderVerifyNotes(ca);
    const cmds = extractCommands(md);
    const f = 'tool-linux-amd64.tar.gz';
    assert.ok(cmds.includes(`orel verify-blob ${f} --signature ${f}.sig --certificate ${f}.cert --certificate-identity release@example.com --trusted-root trusted_root.json`), cmds.join('\n'));
    assert.ok(
      cmds.includes(`cosign verify-blob ${f} --signature ${f}.sig --certificate ${f}.cert --certificate-chain ca-chain.pem --certificate-identity release@example.com --certificate-oidc-issuer-regexp '^(?:.*)$' --insecure-ignore-tlog --insecure-ignore-sct`),
      cmds.join('\n'),
    );
    assert.ok(cmds.some((c) => c.startsWith('curl') && c.endsWith('/ca-chain.pem')) && cmds.some((c) => c.endsWith('/trusted_root.json')), 'the CA files are downloaded');
    assert.match(md, /Certificate authority: `O=Example Corp, CN=Example Corp Root CA`, SHA-256 fingerprint `AB:CD`/);
    assert.doesNotMatch(md, /OIDC issuer/);
    checkCosignFlags(md);
    // With bundles, cosign reads the trusted root (its detached form takes none).
    const bundled = extractCommands(renderVerifyNotes({ ...ca, signing: { ...ca.signing!, outputs: ['bundle', 'sig', 'cert'] } }));
    assert.ok(bundled.includes(`cosign verify-blob ${f} --bundle ${f}.sigstore.json --certificate-identity release@example.com --certificate-oidc-issuer-regexp '^(?:.*)$' --trusted-root trusted_root.json --insecure-ignore-tlog --insecure-ignore-sct`), bundled.join('\n'));
    assert.ok(!bundled.some((c) => c.includes('--certificate-chain')));
  });
});
