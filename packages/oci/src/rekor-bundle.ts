// Keyless extras of a cosign `.sig` layer that the signer does not hand us:
// the `dev.sigstore.cosign/bundle` annotation (the Rekor entry of the
// simple-signing signature, in cosign's RekorBundle JSON) and the
// `dev.sigstore.cosign/chain` annotation (the Fulcio chain above the leaf,
// taken from the trusted root that issued it); and the way back, a Sigstore
// bundle rebuilt from those annotations for verification.
import { X509Certificate, createHash } from 'node:crypto';
import type { SignatureResult } from '@orel/core';
import { bundleFromJSON, type Bundle, type TransparencyLogEntry } from '@sigstore/bundle';
import { HashAlgorithm } from '@sigstore/protobuf-specs';
import type { Witness } from '@sigstore/sign';
import { ANN_BUNDLE, ANN_CERTIFICATE, ANN_SIGNATURE } from './media.js';

/**
 * cosign's RekorBundle (pkg/cosign/bundle/rekor.go): the entry's signed
 * timestamp plus the payload it signs. Undefined without an inclusion promise.
 */
export function cosignRekorBundle(entry: TransparencyLogEntry): string | undefined {
  const set = entry.inclusionPromise?.signedEntryTimestamp;
  if (!set?.length) return undefined;
  return JSON.stringify({
    SignedEntryTimestamp: Buffer.from(set).toString('base64'),
    Payload: {
      body: Buffer.from(entry.canonicalizedBody).toString('base64'),
      integratedTime: Number(entry.integratedTime),
      logIndex: Number(entry.logIndex),
      logID: Buffer.from(entry.logId!.keyId).toString('hex'),
    },
  });
}

/**
 * A signImage `rekorBundle` hook that logs the simple-signing signature
 * (a hashedrekord entry, as cosign does) through the run's witnesses and
 * returns the first log entry in cosign's form. Witnesses that return no log
 * entry (a timestamp authority) are ignored.
 */
export function rekorBundleFromWitnesses(witnesses: Witness[]): ((payload: Buffer, sig: SignatureResult) => Promise<string | undefined>) | undefined {
  if (witnesses.length === 0) return undefined;
  return async (payload, sig) => {
    const content = {
      $case: 'messageSignature' as const,
      messageSignature: { messageDigest: { algorithm: HashAlgorithm.SHA2_256, digest: createHash('sha256').update(payload).digest() }, signature: sig.signature },
    };
    const key = sig.key.$case === 'x509Certificate' ? sig.key.certificate : sig.key.publicKey;
    for (const w of witnesses) {
      const { tlogEntries } = await w.testify(content, key);
      const found = tlogEntries?.map(cosignRekorBundle).find((b) => b !== undefined);
      if (found) return found;
    }
    return undefined;
  };
}

interface TrustedRootJson {
  certificateAuthorities?: { certChain?: { certificates?: { rawBytes: string }[] } }[];
}

/**
 * The PEM chain (intermediates, then root) of the certificate authority in a
 * trusted_root.json that issued `leafPem`; undefined when none did.
 */
export function chainFromTrustedRoot(trustedRoot: unknown, leafPem: string): string | undefined {
  const leaf = new X509Certificate(leafPem);
  for (const ca of (trustedRoot as TrustedRootJson | undefined)?.certificateAuthorities ?? []) {
    const certs = (ca.certChain?.certificates ?? []).map((c) => new X509Certificate(Buffer.from(c.rawBytes, 'base64')));
    if (certs.length && leaf.checkIssued(certs[0]) && leaf.verify(certs[0].publicKey)) return certs.map((c) => c.toString()).join('');
  }
  return undefined;
}

/**
 * A Sigstore bundle (v0.1: message signature + certificate + the Rekor
 * entry with its signed entry timestamp) rebuilt from a keyless `.sig`
 * layer's annotations, so @sigstore/verify can check a cosign signature that
 * has no bundle referrer (images signed by cosign before v3).
 */
export function bundleFromSigLayer(annotations: Record<string, string>, payload: Buffer): Bundle {
  return bundleFromAnnotations(annotations, {
    messageSignature: {
      messageDigest: { algorithm: 'SHA2_256', digest: createHash('sha256').update(payload).digest('base64') },
      signature: annotations[ANN_SIGNATURE],
    },
  });
}

/** The same for a keyless `.att` layer: its DSSE envelope (JSON as stored) is the bundle's content. */
export function bundleFromAttLayer(annotations: Record<string, string>, envelope: unknown): Bundle {
  return bundleFromAnnotations(annotations, { dsseEnvelope: envelope });
}

function bundleFromAnnotations(annotations: Record<string, string>, content: Record<string, unknown>): Bundle {
  const rekor = JSON.parse(annotations[ANN_BUNDLE]) as { SignedEntryTimestamp: string; Payload: { body: string; integratedTime: number; logIndex: number; logID: string } };
  const body = JSON.parse(Buffer.from(rekor.Payload.body, 'base64').toString('utf8')) as { kind: string; apiVersion: string };
  return bundleFromJSON({
    mediaType: 'application/vnd.dev.sigstore.bundle+json;version=0.1',
    verificationMaterial: {
      x509CertificateChain: { certificates: [{ rawBytes: new X509Certificate(annotations[ANN_CERTIFICATE]).raw.toString('base64') }] },
      tlogEntries: [
        {
          logIndex: String(rekor.Payload.logIndex),
          logId: { keyId: Buffer.from(rekor.Payload.logID, 'hex').toString('base64') },
          kindVersion: { kind: body.kind, version: body.apiVersion },
          integratedTime: String(rekor.Payload.integratedTime),
          inclusionPromise: { signedEntryTimestamp: rekor.SignedEntryTimestamp },
          canonicalizedBody: rekor.Payload.body,
        },
      ],
      timestampVerificationData: { rfc3161Timestamps: [] },
    },
    ...content,
  });
}
