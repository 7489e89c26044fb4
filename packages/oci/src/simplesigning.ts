// cosign's simple-signing payload and `.sig` manifest (DESIGN.md §3). Pure.
import { createHash } from 'node:crypto';
import { OrelError } from '@orel/core';
import { ANN_SIGNATURE, COSIGN_SIMPLESIGNING, OCI_CONFIG, OCI_MANIFEST, type Descriptor, type ImageManifest } from './media.js';

/** Exactly cosign's bytes: key order and `"optional":null` matter for the signature. */
export function simpleSigningPayload(dockerReference: string, manifestDigest: string): Buffer {
  return Buffer.from(
    JSON.stringify({
      critical: { identity: { 'docker-reference': dockerReference }, image: { 'docker-manifest-digest': manifestDigest }, type: 'cosign container image signature' },
      optional: null,
    }),
  );
}

export interface SimpleSigningClaims {
  dockerReference: string;
  manifestDigest: string;
  type: string;
}

export function parseSimpleSigning(bytes: Buffer, where: string): SimpleSigningClaims {
  let j: any;
  try {
    j = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new OrelError('VERIFY_FAILED', `${where}: the simple-signing payload is not JSON`);
  }
  const c = j?.critical;
  if (typeof c?.image?.['docker-manifest-digest'] !== 'string' || typeof c?.type !== 'string') {
    throw new OrelError('VERIFY_FAILED', `${where}: the simple-signing payload lacks critical.image.docker-manifest-digest or critical.type`);
  }
  return { dockerReference: c.identity?.['docker-reference'] ?? '', manifestDigest: c.image['docker-manifest-digest'], type: c.type };
}

/** The config blob cosign writes for a `.sig` image: rootfs diff_ids list the layers. */
export function sigConfig(layers: Descriptor[]): Buffer {
  return Buffer.from(
    JSON.stringify({
      architecture: '',
      created: '0001-01-01T00:00:00Z',
      history: [{ created: '0001-01-01T00:00:00Z' }],
      os: '',
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) },
      config: {},
    }),
  );
}

export function sigManifest(layers: Descriptor[]): { manifest: Buffer; config: Buffer; configDescriptor: Descriptor } {
  const config = sigConfig(layers);
  const configDescriptor = { mediaType: OCI_CONFIG, size: config.length, digest: `sha256:${createHash('sha256').update(config).digest('hex')}` };
  const m: ImageManifest = { schemaVersion: 2, mediaType: OCI_MANIFEST, config: configDescriptor, layers };
  return { manifest: Buffer.from(JSON.stringify(m)), config, configDescriptor };
}

/** Signature layers of a `.sig` manifest (other layer types are ignored). */
export const signatureLayers = (m: ImageManifest): Descriptor[] =>
  (m.layers ?? []).filter((l) => l.mediaType === COSIGN_SIMPLESIGNING && typeof l.annotations?.[ANN_SIGNATURE] === 'string');
