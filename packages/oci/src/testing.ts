// Test helpers (exported as @orel/oci/testing for other packages' tests).
// Test helpers: a P-256 key signer behind the core Signer port, and images
// built by the test itself (config + layer blobs + manifests, a 2-platform index).
import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import type { Signer } from '@orel/core';
import type { RegistryClient } from './client.js';
import { OCI_CONFIG, OCI_INDEX, OCI_MANIFEST } from './media.js';

export function keySigner(): Signer & { publicKeyPemSync: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pub = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const sig = async (data: Buffer) => ({ signature: sign('sha256', data, privateKey), key: { $case: 'publicKey' as const, publicKey: pub } });
  return {
    ref: 'test-key',
    hashAlgorithm: 'sha256',
    publicKeyPemSync: pub,
    sign: sig,
    signDigest: async () => {
      throw new Error('not used');
    },
    publicKeyPem: async () => pub,
  };
}

const digestOf = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

export async function pushImage(client: RegistryClient, repo: string, tag: string | undefined, arch = 'amd64'): Promise<{ digest: string; bytes: Buffer }> {
  const layer = Buffer.concat([Buffer.from(`layer for ${arch}\n`), randomBytes(64)]);
  const config = Buffer.from(JSON.stringify({ architecture: arch, os: 'linux', rootfs: { type: 'layers', diff_ids: [digestOf(layer)] }, config: {} }));
  await client.uploadBlob(repo, digestOf(layer), layer);
  await client.uploadBlob(repo, digestOf(config), config);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: OCI_CONFIG, digest: digestOf(config), size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: digestOf(layer), size: layer.length }],
    }),
  );
  const digest = await client.putManifest(repo, tag ?? digestOf(manifest), manifest, OCI_MANIFEST);
  return { digest, bytes: manifest };
}

export async function pushIndex(client: RegistryClient, repo: string, tag: string): Promise<{ digest: string; platforms: string[] }> {
  const amd = await pushImage(client, repo, undefined, 'amd64');
  const arm = await pushImage(client, repo, undefined, 'arm64');
  const index = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      manifests: [
        { mediaType: OCI_MANIFEST, digest: amd.digest, size: amd.bytes.length, platform: { os: 'linux', architecture: 'amd64' } },
        { mediaType: OCI_MANIFEST, digest: arm.digest, size: arm.bytes.length, platform: { os: 'linux', architecture: 'arm64' } },
      ],
    }),
  );
  const digest = await client.putManifest(repo, tag, index, OCI_INDEX);
  return { digest, platforms: [amd.digest, arm.digest] };
}
