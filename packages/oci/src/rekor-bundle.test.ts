// cosign's RekorBundle annotation built from a transparency-log entry, and
// the witness hook that logs a `.sig` layer's signature. (The round trip
// against the loopback Sigstore, SET checked with the log key, is in
// e2e/src/images-keyless.e2e.test.ts.)
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import type { TransparencyLogEntry } from '@sigstore/bundle';
import type { SignatureBundle, Witness } from '@sigstore/sign';
import { cosignRekorBundle, rekorBundleFromWitnesses } from './rekor-bundle.js';

const entry = (set?: Buffer): TransparencyLogEntry => ({
  logIndex: '2770851',
  logId: { keyId: Buffer.from('3e7d8beef3d4', 'hex') },
  kindVersion: { kind: 'hashedrekord', version: '0.0.1' },
  integratedTime: '1795306691',
  inclusionPromise: set ? { signedEntryTimestamp: set } : undefined,
  inclusionProof: undefined,
  canonicalizedBody: Buffer.from('{"kind":"hashedrekord"}'),
});

test('cosignRekorBundle writes cosign\'s RekorBundle JSON; no SET, no bundle', () => {
  assert.equal(
    cosignRekorBundle(entry(Buffer.from('set'))),
    '{"SignedEntryTimestamp":"c2V0","Payload":{"body":"eyJraW5kIjoiaGFzaGVkcmVrb3JkIn0=","integratedTime":1795306691,"logIndex":2770851,"logID":"3e7d8beef3d4"}}',
  );
  assert.equal(cosignRekorBundle(entry()), undefined);
});

test('rekorBundleFromWitnesses logs the payload digest + signature and takes the first entry with a SET', async () => {
  const seen: { content: SignatureBundle; key: string }[] = [];
  const tsa: Witness = { testify: async (content, key) => (seen.push({ content, key }), { rfc3161Timestamps: [] }) };
  const rekor: Witness = { testify: async (content, key) => (seen.push({ content, key }), { tlogEntries: [entry(), entry(Buffer.from('set'))] }) };
  assert.equal(rekorBundleFromWitnesses([]), undefined);
  const hook = rekorBundleFromWitnesses([tsa, rekor])!;
  const payload = Buffer.from('{"critical":{}}');
  const out = await hook(payload, { signature: Buffer.from('sig'), key: { $case: 'x509Certificate', certificate: 'CERT PEM' } });
  assert.equal(JSON.parse(out!).SignedEntryTimestamp, 'c2V0');
  assert.equal(seen.length, 2);
  for (const s of seen) {
    assert.equal(s.key, 'CERT PEM');
    assert.equal(s.content.$case, 'messageSignature');
    if (s.content.$case !== 'messageSignature') continue;
    assert.deepEqual(s.content.messageSignature.messageDigest?.digest, createHash('sha256').update(payload).digest());
    assert.deepEqual(s.content.messageSignature.signature, Buffer.from('sig'));
  }
});
