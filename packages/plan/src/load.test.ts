import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { isOrelError, OrelError, redact } from '@orel/core';
import { loadPlan, outputNames, parsePlan, resolveSecret, stageSteps, withoutSecrets } from './index.js';

const fixture = (name: string) => fileURLToPath(new URL(`./testdata/${name}`, import.meta.url));
const quickstart = fileURLToPath(new URL('../../../examples/quickstart/release-key.yaml', import.meta.url));

/** Runs fn, asserts an OrelError with `code`, and returns it. */
async function orelError(code: string, fn: () => unknown): Promise<OrelError> {
  try {
    await fn();
  } catch (e) {
    assert.ok(isOrelError(e), `expected an OrelError, got ${e}`);
    assert.equal(e.code, code, e.message);
    return e;
  }
  assert.fail(`expected ${code}, but nothing was thrown`);
}

const minimal = (extra = '') =>
  `apiVersion: orel.dev/v1\nrelease:\n  name: hello\n  version: 1.2.3\ntargets:\n  - name: out\n    url: file://out\n${extra}${/^stages:/m.test(extra) ? '' : `${extra && !extra.endsWith('\n') ? '\n' : ''}stages: { stage: { targets: [out] }, release: { targets: [out] } }\n`}`;

test('the key-signed quickstart plan loads without the signer password', async () => {
  const rp = await loadPlan(quickstart, { env: {}, buildId: 'b1' });
  assert.equal(rp.file, quickstart);
  assert.equal(rp.dir, fileURLToPath(new URL('../../../examples/quickstart', import.meta.url)));
  assert.deepEqual(rp.warnings, []);
  assert.deepEqual(rp.vars, { version: '1.2.0', major: '1', minor: '2', patch: '0', prerelease: '', name: 'hello', buildId: 'b1' });
  assert.equal(rp.plan.release.prerelease, false);
  assert.equal(rp.plan.signers?.['release-key'].type, 'key');
  // Secret fields keep their reference for resolveSecret.
  assert.equal((rp.plan.signers?.['release-key'] as { password?: string }).password, '${env:COSIGN_PASSWORD}');
  assert.deepEqual(rp.plan.stages?.release?.targets, ['release']);
  assert.deepEqual(stageSteps(rp.plan, 'stage'), ['discover', 'check-rehearsal', 'checksum', 'preflight', 'sign', 'sign-images', 'attest-sboms', 'provenance', 'publish', 'verify', 'record']);
  assert.equal(stageSteps(rp.plan, 'release')[0], 'check-staged');
});

test('variables, built-ins and ${env:...} are interpolated; secrets are not', async () => {
  const env = { RELEASE_VERSION: 'v1.31.0-rc.1', BUCKET: 'k8s-staging', GITHUB_TOKEN: 'ghp_notread' };
  const rp = await loadPlan(fixture('full.yaml'), { env, now: new Date('2026-11-21T23:59:59.123Z') });
  assert.equal(rp.plan.release.version, '1.31.0-rc.1');
  assert.equal(rp.plan.release.prerelease, true, 'prerelease defaults from the version');
  assert.equal(rp.vars.prerelease, 'rc.1');
  assert.equal(rp.vars.buildId, '20261121T235959Z');
  assert.equal(rp.plan.release.buildId, '20261121T235959Z');
  assert.equal(rp.vars.prefix, 'builds/1.31.0-rc.1/k8s-staging');
  assert.equal(rp.vars.literal, 'cost ${HOME}', '$${ writes a literal ${');
  assert.equal(rp.vars.fallback, 'none');
  assert.equal(rp.plan.targets[0].url, 'gs://k8s-staging/builds/1.31.0-rc.1/k8s-staging');
  assert.equal(rp.plan.images?.[0].ref, 'registry.example.org/staging/kube-apiserver:v1.31.0-rc.1');
  assert.deepEqual(rp.plan.images?.[0].tags, ['v{version}'], 'layout placeholders are left for later');
  assert.equal(rp.plan.targets[1].token, '${env:GITHUB_TOKEN}');
  assert.equal((rp.plan.signers?.hsm as { pin?: string }).pin, '${env:HSM_PIN}');
  assert.deepEqual(stageSteps(rp.plan, 'stage'), ['discover', 'checksum', 'sign', 'publish']);
});

test('--version and --build-id override the plan', () => {
  const rp = parsePlan(minimal(), 'release.yaml', { env: {}, version: 'v2.0.0-beta.2', buildId: 'ci-7' });
  assert.equal(rp.vars.version, '2.0.0-beta.2');
  assert.equal(rp.vars.major, '2');
  assert.equal(rp.plan.release.prerelease, true);
  assert.equal(rp.vars.buildId, 'ci-7');
});

test('malformed YAML is PLAN_PARSE naming file:line:column', async () => {
  const e = await orelError('PLAN_PARSE', () => loadPlan(fixture('malformed.yaml')));
  assert.match(e.message, /malformed\.yaml:\d+:\d+: /);
  assert.match(e.message, /:5:1: /, 'the unterminated flow sequence is reported where it breaks');
  assert.ok(e.details?.length);
});

test('duplicate keys are PLAN_PARSE', async () => {
  const e = await orelError('PLAN_PARSE', () => parsePlan(minimal('release: {}\n'), 'r.yaml'));
  assert.match(e.message, /^r\.yaml:8:1: .*unique/i);
});

test('an unknown key is PLAN_INVALID with its line and a suggestion', async () => {
  const e = await orelError('PLAN_INVALID', () => loadPlan(fixture('typo.yaml'), { env: {} }));
  assert.ok(e.details);
  assert.ok(
    e.details.some((l) => /typo\.yaml:5:1: tragets: unknown key "tragets" \(did you mean "targets"\?\)$/.test(l)),
    e.message,
  );
  assert.ok(e.details.some((l) => /typo\.yaml:1:1: \(root\): missing required key "targets"/.test(l)), e.message);
  assert.match(e.message, /tragets/);
});

test('unknown keys deep inside are reported with their path and position', async () => {
  const text = minimal('signers:\n  k:\n    type: key\n    key: k.pem\n    pasword: ${env:P}\n');
  const e = await orelError('PLAN_INVALID', () => parsePlan(text, 'r.yaml', { env: {} }));
  assert.equal(e.message, 'r.yaml:12:5: signers.k.pasword: unknown key "pasword" (did you mean "password"?)');
});

test('wrong types and enum values list what was expected', async () => {
  const e = await orelError('PLAN_INVALID', () => loadPlan(fixture('wrong-types.yaml'), { env: {} }));
  const d = e.details ?? [];
  assert.equal(d.length, 4, e.message);
  assert.match(d[0], /:4:12: release\.version: expected string, got number \(quote it: "1\.20"\)/);
  assert.match(d[1], /:7:32: checksums\.files\[0\]\.algorithm: expected one of sha256, sha512 \(got "md5"\)/);
  assert.match(d[2], /:10:10: targets\[0\]\.url: expected a URL file:\/\/PATH, gs:\/\/BUCKET.*\(got "s3:\/\/bucket\/x"\)/);
  assert.match(d[3], /:11:18: targets\[0\]\.concurrency: expected integer, got string/);
});

test('an unknown signer type names the allowed types', async () => {
  const e = await orelError('PLAN_INVALID', () => parsePlan(minimal('signers:\n  k: { type: kyeless }\n'), 'r.yaml'));
  assert.equal(e.message, 'r.yaml:9:14: signers.k.type: expected one of key, kms, pkcs11, keyless (got "kyeless") (did you mean "keyless"?)');
});

test('a missing environment variable is PLAN_VARIABLE naming it and where', async () => {
  const e = await orelError('PLAN_VARIABLE', () => loadPlan(fixture('missing-env.yaml'), { env: {} }));
  assert.match(e.message, /missing-env\.yaml:7:15: targets\[0\]\.url: environment variable ORELTEST_BUCKET is not set/);
  assert.match(e.hint ?? '', /export ORELTEST_BUCKET=/);
});

test('an unknown variable is PLAN_VARIABLE listing the known ones', async () => {
  const e = await orelError('PLAN_VARIABLE', () => parsePlan(minimal('markers:\n  files: ["${channel}.txt"]\n'), 'r.yaml', { env: {} }));
  assert.match(e.message, /^r\.yaml:9:12: markers\.files\[0\]: unknown variable "channel"; known: version, .*buildId$/);
});

test('a typo is reported before the variables it hides', async () => {
  const text = minimal('tragets: ${env:NOT_SET}\n');
  await orelError('PLAN_INVALID', () => parsePlan(text, 'r.yaml', { env: {} }));
});

test('an interpolated value is checked against the schema too', async () => {
  const text = minimal().replace('file://out', '${env:URL}');
  const e = await orelError('PLAN_INVALID', () => parsePlan(text, 'r.yaml', { env: { URL: 's3://b' } }));
  assert.match(e.message, /r\.yaml:7:10: targets\[0\]\.url: expected a URL/);
});

test('resolveSecret resolves at adapter time and registers the value for redaction', async () => {
  const rp = await loadPlan(quickstart, { env: {} });
  const where = 'signers.release-key.password';
  const value = '${env:COSIGN_PASSWORD}';
  const e = await orelError('PLAN_VARIABLE', () => resolveSecret(rp, value, where, {}));
  assert.match(e.message, /release-key\.yaml: signers\.release-key\.password: environment variable COSIGN_PASSWORD is not set/);
  assert.match(e.hint ?? '', /export COSIGN_PASSWORD=/);

  const secret = 'correct-horse-battery-staple-1';
  assert.equal(resolveSecret(rp, value, where, { COSIGN_PASSWORD: secret }), secret);
  assert.equal(redact(`password is ${secret}`), 'password is ***');
  assert.equal(resolveSecret(rp, undefined, where, {}), undefined);
});

test('a literal secret loads with a warning and is redacted', () => {
  const literal = 'ghp_literalTokenInPlan42';
  const rp = parsePlan(minimal(`    token: ${literal}\n`), 'r.yaml', { env: {} });
  assert.equal(rp.warnings?.length, 1);
  assert.match(rp.warnings![0], /^r\.yaml:8:12: targets\[0\]\.token: holds a literal secret/);
  assert.equal(redact(literal), '***');
});

test('cross-reference checks report every problem with its position', async () => {
  const e = await orelError('PLAN_INVALID', () => loadPlan(fixture('semantic.yaml'), { env: {} }));
  const text = (await readFile(fixture('semantic.yaml'), 'utf8')).split('\n');
  const d = e.details ?? [];
  const expect: [RegExp, string][] = [
    [/variables\.version: variable "version" would shadow the built-in/, 'version: "9"'],
    [/artifacts\.sets\[1\]\.name: duplicate artifact set name "bin"/, 'name: bin, kind: archive'],
    [/signing\.outputs\[1\]: "cert" needs a certificate, but "release-key" is a key signer without one/, 'outputs: [sig, cert]'],
    [/targets\[1\]\.name: duplicate target name "out"/, 'url: file://out2'],
    [/markers\.targets\[0\]: unknown target "relase"; defined targets: out$/, 'targets: [relase]'],
    [/stages\.stage\.targets\[1\]: unknown target "nowhere"/, 'targets: [out, nowhere]'],
  ];
  assert.equal(d.length, expect.length, e.message);
  for (const [re, lineText] of expect) {
    const hit = d.find((l) => re.test(l));
    assert.ok(hit, `missing ${re} in\n${e.message}`);
    const line = Number(/semantic\.yaml:(\d+):\d+:/.exec(hit)![1]);
    assert.ok(text[line - 1].includes(lineText), `${hit} should point at the line with ${lineText}`);
  }
});

test('a CA-certified key signer: cert output allowed; certificate and chain together, an identity, no transparencyLog', async () => {
  const certified = 'signers:\n  corp: { type: key, key: k.pem, certificate: c.pem, certificateChain: chain.pem }\nsigning: { signer: corp, what: artifacts, outputs: [bundle, sig, cert] }\n';
  const ok = parsePlan(minimal(`${certified}verification: { identity: release@example.com }\n`), 'r.yaml');
  assert.deepEqual(ok.plan.signing?.outputs, ['bundle', 'sig', 'cert']);
  const e = await orelError('PLAN_INVALID', () => parsePlan(minimal(certified), 'r.yaml'));
  assert.match(e.message, /signer "corp" has a certificate: it needs verification\.identity/);
  const half = await orelError('PLAN_INVALID', () =>
    parsePlan(minimal('signers:\n  corp: { type: kms, key: "gcpkms://projects/p/locations/l/keyRings/r/cryptoKeys/k", certificate: c.pem }\n'), 'r.yaml'),
  );
  assert.match(half.message, /r\.yaml:\d+:\d+: signers\.corp: signer "corp" has certificate but no certificateChain/);
  const logged = await orelError('PLAN_INVALID', () =>
    parsePlan(minimal(certified.replace('outputs: [bundle, sig, cert]', 'outputs: [bundle], transparencyLog: true') + 'verification: { identity: r@example.com }\n'), 'r.yaml'),
  );
  assert.match(logged.message, /signing\.transparencyLog: .*does not log CA-certified signatures/);
  const sigOnly = await orelError('PLAN_INVALID', () => parsePlan(minimal(certified.replace('[bundle, sig, cert]', '[bundle, sig]') + 'verification: { identity: r@example.com }\n'), 'r.yaml'));
  assert.match(sigOnly.message, /signing\.outputs\[1\]: signer "corp" signs with a certificate: its "sig" output needs "cert" too/);
});

test('an unknown signer is reported with a suggestion', async () => {
  const text = minimal('signers:\n  release: { type: key, key: k.pem }\nsigning: { signer: relase, what: artifacts, outputs: [sig] }\n');
  const e = await orelError('PLAN_INVALID', () => parsePlan(text, 'r.yaml'));
  assert.equal(e.message, 'r.yaml:10:20: signing.signer: unknown signer "relase" (did you mean "release"?); defined signers: release');
});

test('a version that is not semver is PLAN_INVALID', async () => {
  const e = await orelError('PLAN_INVALID', () => parsePlan(minimal(), 'r.yaml', { version: '1.2' }));
  assert.match(e.message, /--release-version option.*semantic version/);
  const e2 = await orelError('PLAN_INVALID', () => parsePlan(minimal().replace('1.2.3', '"1.2.x"'), 'r.yaml'));
  assert.match(e2.message, /^r\.yaml:4:12: release\.version: expected a semantic version/);
});

test('a missing plan file is a usage error', async () => {
  await orelError('USAGE', () => loadPlan(fixture('nope.yaml')));
});

test('a signer without a type and bad names are reported plainly', async () => {
  const text = minimal('variables: {"1x": a}\nsigners:\n  k: { key: k.pem }\n');
  const e = await orelError('PLAN_INVALID', () => parsePlan(text, 'r.yaml'));
  assert.deepEqual(e.details, [
    'r.yaml:8:13: variables["1x"]: invalid name "1x": variable names use letters, digits and "_", not starting with a digit',
    'r.yaml:10:3: signers.k: missing required key "type" (one of key, kms, pkcs11, keyless)',
  ]);
});

test('a keyless signer without an identity policy is refused, naming the signer', async () => {
  const text = minimal('signers:\n  sigstore:\n    type: keyless\nsigning:\n  signer: sigstore\n  what: artifacts\n  outputs: [bundle]\n');
  const e = await orelError('PLAN_INVALID', () => parsePlan(text, 'r.yaml', { env: {} }));
  assert.match(e.message, /keyless signer "sigstore" needs verification\.identity/);
  assert.match(e.message, /needs verification\.issuer/);
});

test('a list item missing a required key is pointed at by the item itself', async () => {
  const text = minimal('artifacts:\n  root: dist\n  sets:\n    - name: a\n      kind: binary\n      include: ["x"]\n    - name: b\n      kind: binary\n      includes: ["y"]\n');
  const e = await orelError('PLAN_INVALID', () => parsePlan(text, 'r.yaml', { env: {} }));
  // The minimal plan is 7 lines: line 14 is "    - name: b", line 16 its "includes:".
  assert.match(e.message, /r\.yaml:14:7: artifacts\.sets\[1\]: missing required key "include"/);
  assert.match(e.message, /r\.yaml:16:7: artifacts\.sets\[1\]\.includes: unknown key "includes"/);
});

test("the README's plan reference is a valid plan", async () => {
  const readme = await readFile(fileURLToPath(new URL('../../../README.md', import.meta.url)), 'utf8');
  const start = readme.indexOf('```yaml', readme.indexOf('## The release plan'));
  const yaml = readme.slice(start + '```yaml'.length, readme.indexOf('```', start + 7));
  const rp = parsePlan(yaml, 'README.md', { env: {} });
  assert.deepEqual(rp.plan.targets.map((t) => t.url.split(':')[0]), ['gs', 'gs', 'github']);
  assert.deepEqual(Object.values(rp.plan.signers ?? {}).map((s) => s.type), ['keyless', 'key', 'kms', 'pkcs11', 'key']);
  assert.equal(rp.plan.signers?.corp?.type === 'key' && rp.plan.signers.corp.certificateChain, 'pki/chain.pem');
});

test('a marker on a file a preset layout places (dl.k8s.io) is refused at plan time', async () => {
  const text = [
    'apiVersion: orel.dev/v1',
    'release: { name: kube, version: 1.31.0 }',
    'checksums: { files: [{ name: SHA256SUMS, algorithm: sha256 }] }',
    'targets: [{ name: stage, url: "file://s" }, { name: rel, url: "gs://bucket", preset: dl.k8s.io }]',
    'markers: { files: ["release/v{version}/SHA256SUMS"] }',
    'stages: { stage: { targets: [stage] }, release: { targets: [rel] } }',
    '',
  ].join('\n');
  const e = await orelError('PLAN_INVALID', () => parsePlan(text, 'k.yaml', { env: {} }));
  assert.match(e.message, /k\.yaml:5:\d+: markers\.files\[0\]: marker "release\/v1\.31\.0\/SHA256SUMS" is where SHA256SUMS is published in target "rel"/);
});

test('withoutSecrets masks every literal secret field and keeps ${env:...} references', () => {
  const rp = parsePlan(minimal('signers:\n  k: { type: key, key: k.pem, password: "hunter2" }\n  h: { type: pkcs11, uri: "pkcs11:token=t", module: m.so, pin: "${env:PIN}" }\n'), 'r.yaml', { env: {} });
  const shown = withoutSecrets(rp.plan) as any;
  assert.equal(shown.signers.k.password, '***');
  assert.equal(shown.signers.h.pin, '${env:PIN}');
  assert.equal(shown.signers.k.key, 'k.pem');
  assert.equal((rp.plan.signers as any).k.password, 'hunter2', 'the plan itself is untouched');
});

test('Rekor v2 without bundles, and signingConfig "tuf" without verification.tuf, are refused at load, naming the key', async () => {
  const v2 = await orelError('PLAN_INVALID', () =>
    parsePlan(minimal('signers:\n  s: { type: keyless, rekorVersion: 2 }\nsigning: { signer: s, what: artifacts, outputs: [sig, cert] }\n'), 'r.yaml', { env: {} }),
  );
  assert.ok(e2(v2).some((l) => /r\.yaml:\d+:\d+: signing\.outputs: signer "s" logs in Rekor v2, which cannot be searched.*add "bundle"/.test(l)), e2(v2).join('\n'));
  const tuf = await orelError('PLAN_INVALID', () => parsePlan(minimal('signers:\n  s: { type: keyless, signingConfig: tuf }\n'), 'r.yaml', { env: {} }));
  assert.ok(e2(tuf).some((l) => /signers\.s\.signingConfig: "tuf" takes the signing config from verification\.tuf/.test(l)), e2(tuf).join('\n'));
  // With bundles, or a private TUF repository named, the same signers load.
  const policy = 'verification: { identity: r@corp.example, issuer: "https://oidc.corp.example"';
  parsePlan(minimal(`signers:\n  s: { type: keyless, rekorVersion: 2 }\nsigning: { signer: s, what: artifacts, outputs: [bundle, sig, cert] }\n${policy} }\n`), 'r.yaml', { env: {} });
  parsePlan(minimal(`signers:\n  s: { type: keyless, signingConfig: tuf }\nsigning: { signer: s, what: artifacts, outputs: [bundle] }\n${policy}, tuf: { mirror: "https://tuf.corp.example", root: root.json } }\n`), 'r.yaml', { env: {} });
});

const e2 = (e: { details?: string[]; message: string }): string[] => [e.message, ...(e.details ?? [])];

test('signing output names: a preset or "{file}<suffix>" templates, or one shared certificate file (Spin\'s crt.pem); a shared signature and clashing names are refused with the fix', async () => {
  const signing = (extra: string) => minimal(`signers:\n  s: { type: keyless }\nverification: { identity: a@b.c, issuer: https://i.example }\nsigning:\n  signer: s\n  what: artifacts\n  outputs: [sig, cert]\n${extra}`);
  const rp = parsePlan(signing('  naming: cosign\n'), 'r.yaml');
  assert.deepEqual(outputNames(rp.plan.signing), { bundle: '{file}.sigstore.json', sig: '{file}.sig', cert: '{file}.pem' });
  assert.deepEqual(outputNames(parsePlan(signing('  names: { cert: "{file}.crt" }\n'), 'r.yaml').plan.signing), { bundle: '{file}.sigstore.json', sig: '{file}.sig', cert: '{file}.crt' });
  assert.deepEqual(outputNames(undefined), { bundle: '{file}.sigstore.json', sig: '{file}.sig', cert: '{file}.cert' });
  assert.deepEqual(outputNames(parsePlan(signing('  naming: spin\n'), 'r.yaml').plan.signing), { bundle: '{file}.sigstore.json', sig: '{file}.sig', cert: 'crt.pem' });
  assert.equal(outputNames(parsePlan(signing('  names: { cert: release.crt }\n'), 'r.yaml').plan.signing).cert, 'release.crt');

  const sharedSig = await orelError('PLAN_INVALID', () => parsePlan(signing('  names: { sig: all.sig }\n'), 'r.yaml'));
  assert.match(sharedSig.message, /r\.yaml:15:17: signing\.names\.sig: expected a template "\{file\}<suffix>", e\.g\. "\{file\}\.sig" \(a signature is named after the file it signs\)/);
  const dir = await orelError('PLAN_INVALID', () => parsePlan(signing('  names: { cert: certs/crt.pem }\n'), 'r.yaml'));
  assert.match(dir.message, /signing\.names\.cert: expected a template "\{file\}<suffix>" \(e\.g\. "\{file\}\.pem"\) or one file name with no "\/"/);
  const preset = await orelError('PLAN_INVALID', () => parsePlan(signing('  naming: sigstore\n'), 'r.yaml'));
  assert.match(preset.message, /signing\.naming: expected one of kubernetes, cosign, spin \(got "sigstore"\)/);
  const sums = await orelError('PLAN_INVALID', () => parsePlan(signing('  naming: spin\nchecksums:\n  files: [{ name: crt.pem, algorithm: sha256 }]\n'), 'r.yaml'));
  assert.match(sums.message, /signing\.naming: the shared certificate "crt\.pem" has the name of a checksum file orel writes: give it another/);
  const pub = await orelError('PLAN_INVALID', () => parsePlan(signing('  names: { cert: cosign.pub }\n'), 'r.yaml'));
  assert.match(pub.message, /r\.yaml:15:18: signing\.names\.cert: the shared certificate "cosign\.pub" has the name of a key or CA file orel writes/);
  const clash = await orelError('PLAN_INVALID', () => parsePlan(signing('  names: { cert: "{file}.sig" }\n'), 'r.yaml'));
  assert.match(clash.message, /r\.yaml:15:\d+: signing\.names\.cert: the cert output would be named "\{file\}\.sig", as the sig output is: give each its own name/);
});
