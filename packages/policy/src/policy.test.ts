// Each generated policy is validated against its project's CRD schema
// (openAPIV3Schema from the projects' own repositories, stored in
// testdata/crds; see testdata/README.md), read strictly: a field the schema
// does not know is an error, since the API server would prune it silently.
// OpenShift's CEL rules (x-kubernetes-validations) are checked by equivalents
// written here. Golden files pin the exact YAML users apply
// (OREL_UPDATE_GOLDEN=1 rewrites them).
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { Ajv, type ValidateFunction } from 'ajv';
import { parseAllDocuments } from 'yaml';
import { OrelError } from '@orel/core';
import { POLICY_FILES, POLICY_FORMATS, policyDocuments, policyYaml, sigstoreTrust, UnexpressiblePolicyError, type CaSigner, type PolicyInput } from './index.js';

const TESTDATA = fileURLToPath(new URL('./testdata/', import.meta.url));
// The public-good trusted root orel ships (packages/verify/data), as of a fixed day.
const ROOT_FILE = fileURLToPath(new URL('../../verify/data/public-good-trusted-root.json', import.meta.url));
const NOW = new Date('2026-11-01T00:00:00Z');
const publicGood = sigstoreTrust(readFileSync(ROOT_FILE, 'utf8'), ROOT_FILE, NOW);
const KEY = readFileSync(join(TESTDATA, 'release.pub'), 'utf8');
const CA_ROOT = readFileSync(join(TESTDATA, 'ca-root.pem'), 'utf8');
const CA_INTERMEDIATE = readFileSync(join(TESTDATA, 'ca-intermediate.pem'), 'utf8');

const REPOS = [
  { repository: 'registry.example.org/hello/app', signedAs: 'staging.example.org/hello/app' },
  { repository: '127.0.0.1:5000/hello/app', signedAs: '127.0.0.1:5000/hello/app' },
];
const keyless: PolicyInput = {
  release: 'hello',
  repositories: REPOS,
  signer: { kind: 'keyless', identity: 'release@example.org', issuer: 'https://accounts.example.org' },
  sigstore: publicGood,
  publicGood: true,
  trustSource: 'Sigstore public-good',
};
const INPUTS: Record<string, PolicyInput> = {
  'keyless-public-good': keyless,
  // The same keys as if from a private instance: the policies then carry them.
  'keyless-private': { ...keyless, publicGood: false, trustSource: 'trusted_root.json' },
  'keyless-regexp': { ...keyless, signer: { kind: 'keyless', identityRegexp: '^https://github.com/example/hello/\\.github/workflows/release\\.yml@refs/tags/v.*$', issuer: 'https://token.actions.githubusercontent.com' } },
  // A CI workflow's identity is a URI SAN, though it holds an "@".
  'keyless-workflow': { ...keyless, signer: { kind: 'keyless', identity: 'https://github.com/example/hello/.github/workflows/release.yml@refs/tags/v1.2.0', issuer: 'https://token.actions.githubusercontent.com' } },
  'key-logged': { ...keyless, signer: { kind: 'key', publicKeyPem: KEY, transparencyLog: true } },
  // A key a corporate CA certified: its root and intermediate, no Sigstore.
  ca: { ...keyless, repositories: [REPOS[1]], signer: { kind: 'ca', identity: 'release@example.org', rootsPem: CA_ROOT, intermediatesPem: CA_INTERMEDIATE }, sigstore: undefined, publicGood: false, trustSource: 'ca-chain.pem' },
  'key-unlogged': { ...keyless, repositories: [REPOS[1]], signer: { kind: 'key', publicKeyPem: KEY, transparencyLog: false }, sigstore: undefined, publicGood: false, trustSource: 'none' },
};

/** The CRD's schema, closed: objects with properties take no others unless marked x-kubernetes-preserve-unknown-fields. */
function crdValidator(name: string): ValidateFunction {
  const crd = JSON.parse(gunzipSync(readFileSync(join(TESTDATA, 'crds', `${name}.json.gz`))).toString('utf8')) as { openAPIV3Schema: Record<string, unknown> };
  const close = (s: Record<string, unknown>): void => {
    if (s.properties && s.additionalProperties === undefined && !s['x-kubernetes-preserve-unknown-fields']) s.additionalProperties = false;
    for (const v of Object.values((s.properties ?? {}) as Record<string, Record<string, unknown>>)) close(v);
    if (s.items) close(s.items as Record<string, unknown>);
  };
  // Every object has these, whether or not the CRD spells them out (policy-controller's does not).
  const schema = { ...crd.openAPIV3Schema, properties: { apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { type: 'object' }, ...(crd.openAPIV3Schema.properties as object) } };
  close(schema);
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
  ajv.addFormat('byte', /^[A-Za-z0-9+/]*={0,2}$/);
  ajv.addFormat('date-time', true);
  ajv.addFormat('int64', true);
  return ajv.compile(schema);
}
const VALIDATORS: Record<string, ValidateFunction> = {
  'kyverno.io/v1 ClusterPolicy': crdValidator('kyverno-clusterpolicy-v1'),
  'policies.kyverno.io/v1 ImageValidatingPolicy': crdValidator('kyverno-imagevalidatingpolicy-v1'),
  'policy.sigstore.dev/v1beta1 ClusterImagePolicy': crdValidator('policy-controller-clusterimagepolicy-v1beta1'),
  'policy.sigstore.dev/v1alpha1 TrustRoot': crdValidator('policy-controller-trustroot-v1alpha1'),
  'config.openshift.io/v1 ClusterImagePolicy': crdValidator('openshift-clusterimagepolicy-v1'),
};
const validate = (doc: Record<string, unknown>): string[] => {
  const v = VALIDATORS[`${doc.apiVersion} ${doc.kind}`];
  assert.ok(v, `no schema for ${doc.apiVersion} ${doc.kind}`);
  return v(doc) ? [] : (v.errors ?? []).map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`);
};

/** The value of a `format: byte` field as the API server decodes it. */
const decoded = (b64: string) => Buffer.from(b64, 'base64').toString('utf8');
const pemRule = (label: string) => (s: string) => s.startsWith(`-----BEGIN ${label}-----`) && /-----END [A-Z ]+-----\n?$/.test(s) && s.trimEnd().endsWith(`-----END ${label}-----`);
/** OpenShift's repository rule (remapIdentity.prefix, scopes without "*"), from the CRD. */
const REPO_RULE = /^(((?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))+(?::[0-9]+)?)|(localhost(?::[0-9]+)?))(?:(?:\/[a-z0-9]+(?:(?:(?:[._]|__|[-]*)[a-z0-9]+)+)?)+)?$/;

/** OpenShift's x-kubernetes-validations on a ClusterImagePolicy, as equivalents. */
function openshiftCel(doc: Record<string, unknown>): string[] {
  const spec = doc.spec as { scopes: string[]; policy: { rootOfTrust: Record<string, Record<string, unknown> | string>; signedIdentity: Record<string, Record<string, string> | string> } };
  const out: string[] = [];
  for (const s of spec.scopes) if (!REPO_RULE.test(s) || s.split('/')[0].split('.').length === 1) out.push(`scope ${s}`);
  const root = spec.policy.rootOfTrust;
  const type = root.policyType as string;
  for (const [t, f] of [['PKI', 'pki'], ['PublicKey', 'publicKey'], ['FulcioCAWithRekor', 'fulcioCAWithRekor']]) if ((type === t) !== (f in root)) out.push(`rootOfTrust.${f} with policyType ${type}`);
  const checks: [string, unknown, (s: string) => boolean][] = [
    ['fulcioCAData', (root.fulcioCAWithRekor as Record<string, string>)?.fulcioCAData, pemRule('CERTIFICATE')],
    ['rekorKeyData', (root.fulcioCAWithRekor as Record<string, string>)?.rekorKeyData, pemRule('PUBLIC KEY')],
    ['keyData', (root.publicKey as Record<string, string>)?.keyData, pemRule('PUBLIC KEY')],
    ['publicKey.rekorKeyData', (root.publicKey as Record<string, string>)?.rekorKeyData, pemRule('PUBLIC KEY')],
    ['caRootsData', (root.pki as Record<string, string>)?.caRootsData, pemRule('CERTIFICATE')],
    ['caIntermediatesData', (root.pki as Record<string, string>)?.caIntermediatesData, pemRule('CERTIFICATE')],
  ];
  const balanced = (s: string) => s.split('-----BEGIN CERTIFICATE-----').length === s.split('-----END CERTIFICATE-----').length;
  for (const [name, value, rule] of checks) if (typeof value === 'string' && (!rule(decoded(value)) || !balanced(decoded(value)) || value.length > 8192)) out.push(name);
  const pkiSubject = (root.pki as { pkiCertificateSubject?: { email?: string; hostname?: string } })?.pkiCertificateSubject;
  if (pkiSubject && !pkiSubject.email && !pkiSubject.hostname) out.push('pkiCertificateSubject needs email or hostname');
  const subject = (root.fulcioCAWithRekor as { fulcioSubject?: { oidcIssuer: string; signedEmail: string } })?.fulcioSubject;
  if (subject && (!/^\S+@\S+$/.test(subject.signedEmail) || !URL.canParse(subject.oidcIssuer))) out.push('fulcioSubject');
  const id = spec.policy.signedIdentity;
  if ((id.matchPolicy === 'RemapIdentity') !== 'remapIdentity' in id) out.push('remapIdentity with matchPolicy');
  const remap = id.remapIdentity as Record<string, string> | undefined;
  for (const v of remap ? [remap.prefix, remap.signedPrefix] : []) if (!REPO_RULE.test(v) || (/:[\w][\w.-]{0,127}$/.test(v) && !/^localhost:[0-9]+$/.test(v))) out.push(`remapIdentity ${v}`);
  return out;
}

describe('admission policies from a plan', () => {
  for (const [name, input] of Object.entries(INPUTS)) {
    for (const format of POLICY_FORMATS) {
      test(`${name}, ${format}: valid against the CRD schema${format === 'openshift' ? ' and its CEL rules' : ''}; golden file`, () => {
        let text: string;
        try {
          text = policyYaml(format, input, 'release.yaml');
        } catch (e) {
          // OpenShift takes e-mail identities only: the regexp signer is refused, with the way out.
          assert.ok(format === 'openshift' && (name === 'keyless-regexp' || name === 'keyless-workflow'), String(e));
          assert.ok(e instanceof UnexpressiblePolicyError && e instanceof OrelError && /by e-mail address only.*(regexp|https:)/.test(e.message) && /kyverno/.test(e.hint ?? ''), String(e));
          return;
        }
        const docs = parseAllDocuments(text).map((d) => d.toJS() as Record<string, unknown>);
        assert.deepEqual(docs, policyDocuments(format, input), 'the YAML reads back as the objects');
        for (const doc of docs) {
          assert.deepEqual(validate(doc), [], `${doc.kind} ${name}`);
          if (doc.apiVersion === 'config.openshift.io/v1') assert.deepEqual(openshiftCel(doc), []);
        }
        const golden = join(TESTDATA, 'golden', `${name}.${POLICY_FILES[format].file}`);
        if (process.env.OREL_UPDATE_GOLDEN) writeFileSync(golden, text);
        assert.equal(text, readFileSync(golden, 'utf8'));
      });
    }
  }

  test('the schema checks are real judges: a misspelt field, a wrong enum and bad PEM data fail', () => {
    const [cp] = policyDocuments('kyverno', keyless) as [{ spec: { rules: { verifyImages: Record<string, unknown>[] }[] } }];
    cp.spec.rules[0].verifyImages[0].imageReference = 'x'; // singular: not a field
    assert.match(validate(cp as unknown as Record<string, unknown>).join('\n'), /additional properties/);
    const [os] = policyDocuments('openshift', keyless) as [{ spec: { policy: { rootOfTrust: Record<string, unknown> & { fulcioCAWithRekor: Record<string, string> } } } }];
    os.spec.policy.rootOfTrust.policyType = 'Fulcio';
    assert.match(validate(os as unknown as Record<string, unknown>).join('\n'), /allowed values/);
    os.spec.policy.rootOfTrust.policyType = 'FulcioCAWithRekor';
    os.spec.policy.rootOfTrust.fulcioCAWithRekor.rekorKeyData = Buffer.from(KEY.replace('PUBLIC KEY', 'CERTIFICATE')).toString('base64');
    assert.deepEqual(openshiftCel(os as unknown as Record<string, unknown>), ['rekorKeyData']);
  });

  test('what the policies name: each release repository by tag and digest, the signer, and the signed repository for OpenShift', () => {
    const [cp] = policyDocuments('kyverno', keyless) as [{ spec: { rules: { verifyImages: { imageReferences: string[]; attestors: { entries: Record<string, Record<string, unknown>>[] }[] }[] }[] } }];
    const vi = cp.spec.rules[0].verifyImages[0];
    assert.deepEqual(vi.imageReferences, ['registry.example.org/hello/app:*', 'registry.example.org/hello/app@*', '127.0.0.1:5000/hello/app:*', '127.0.0.1:5000/hello/app@*']);
    assert.equal(vi.attestors[0].entries[0].keyless.subject, 'release@example.org');
    assert.equal(vi.attestors[0].entries[0].keyless.roots, undefined, 'public-good roots are built into Kyverno');
    const [priv] = policyDocuments('kyverno', INPUTS['keyless-private']) as typeof cp[];
    const entry = priv.spec.rules[0].verifyImages[0].attestors[0].entries[0].keyless as { roots: string; rekor: { url: string; pubkey: string } };
    assert.equal(entry.roots.match(/BEGIN CERTIFICATE/g)?.length, publicGood.fulcio.map((f) => f.chainPem.match(/BEGIN/g)!.length).reduce((a, b) => a + b));
    assert.equal(entry.rekor.url, 'https://rekor.sigstore.dev', 'the Rekor v1 (ECDSA) log, which Kyverno checks');

    const pc = policyDocuments('policy-controller', INPUTS['keyless-private']);
    assert.deepEqual(pc.map((d) => d.kind), ['TrustRoot', 'ClusterImagePolicy']);
    assert.equal(policyDocuments('policy-controller', keyless).length, 1, 'public-good: no TrustRoot');
    const unlogged = policyDocuments('policy-controller', INPUTS['key-unlogged'])[0] as { spec: { authorities: Record<string, unknown>[] } };
    assert.equal(unlogged.spec.authorities[0].ctlog, undefined, 'no log entries to require');

    const os = policyDocuments('openshift', keyless) as { metadata: { name: string }; spec: { scopes: string[]; policy: { signedIdentity: unknown } } }[];
    assert.deepEqual(os.map((d) => d.metadata.name), ['orel-hello-signed-images-1', 'orel-hello-signed-images-2']);
    assert.deepEqual(os[0].spec.policy.signedIdentity, { matchPolicy: 'RemapIdentity', remapIdentity: { prefix: 'registry.example.org/hello/app', signedPrefix: 'staging.example.org/hello/app' } });
    assert.deepEqual(os[1].spec.policy.signedIdentity, { matchPolicy: 'MatchRepoDigestOrExact' });
  });

  test('refused before anything is written: no images, an incomplete keyless signer, a trusted root that is not one', () => {
    assert.throws(() => policyDocuments('kyverno', { ...keyless, repositories: [] }), /releases no images/);
    assert.throws(() => policyDocuments('kyverno', { ...keyless, signer: { kind: 'keyless', identity: 'a@b.c' } }), /identity and issuer/);
    assert.throws(() => sigstoreTrust('{"mediaType":"x"}', 'root.json'), /root\.json: not a Sigstore trusted root/);
    assert.throws(() => sigstoreTrust('{', 'root.json'), /root\.json: not JSON/);
    assert.throws(() => policyDocuments('openshift', { ...keyless, signer: { kind: 'keyless', identity: 'a@b.c', issuerRegexp: '.*' } }), /issuer exactly/);
    const ca = INPUTS.ca;
    assert.throws(() => policyDocuments('openshift', { ...ca, signer: { ...(ca.signer as CaSigner), identity: undefined, identityRegexp: '.*@example\\.org' } }), /e-mail address or host name only/);
    assert.throws(() => policyDocuments('kyverno', { ...ca, signer: { ...(ca.signer as CaSigner), identity: undefined } }), /needs the certificate identity/);
  });
});
