// Independent checks of cosign image signatures for the image e2e tests:
// plain HTTP to the registry (fetch, no orel code) and openssl for the
// signature over the simple-signing payload bytes.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const ACCEPT = [OCI_MANIFEST, 'application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.v2+json'].join(', ');
export const SIMPLESIGNING = 'application/vnd.dev.cosign.simplesigning.v1+json';

export interface SigLayer {
  digest: string;
  payload: Buffer;
  annotations: Record<string, string>;
}

/** The digest a tag points at (Docker-Content-Digest of a HEAD), or undefined on 404. */
export async function tagDigest(url: string, repo: string, tag: string): Promise<string | undefined> {
  const res = await fetch(`${url}/v2/${repo}/manifests/${tag}`, { method: 'HEAD', headers: { accept: ACCEPT } });
  if (res.status === 404) return undefined;
  assert.equal(res.status, 200, `HEAD ${repo}:${tag}`);
  return res.headers.get('docker-content-digest') ?? undefined;
}

export async function catalog(url: string): Promise<string[]> {
  const res = await fetch(`${url}/v2/_catalog?n=1000`);
  assert.equal(res.status, 200);
  return ((await res.json()) as { repositories: string[] }).repositories;
}

/** The `sha256-<hex>.sig` manifest's layers (payload bytes fetched), in order. */
export async function sigLayers(url: string, repo: string, digest: string): Promise<{ manifestDigest: string; layers: SigLayer[] }> {
  const tag = `${digest.replace(':', '-')}.sig`;
  const res = await fetch(`${url}/v2/${repo}/manifests/${tag}`, { headers: { accept: ACCEPT } });
  assert.equal(res.status, 200, `GET ${repo}:${tag}`);
  const m = (await res.json()) as { mediaType: string; layers: { mediaType: string; digest: string; annotations?: Record<string, string> }[] };
  assert.equal(m.mediaType, OCI_MANIFEST, `${tag} media type`);
  const layers: SigLayer[] = [];
  for (const l of m.layers) {
    assert.equal(l.mediaType, SIMPLESIGNING, `${tag} layer media type`);
    const blob = await fetch(`${url}/v2/${repo}/blobs/${l.digest}`);
    assert.equal(blob.status, 200, `blob ${l.digest}`);
    layers.push({ digest: l.digest, payload: Buffer.from(await blob.arrayBuffer()), annotations: l.annotations ?? {} });
  }
  return { manifestDigest: res.headers.get('docker-content-digest')!, layers };
}

/**
 * Every layer's payload names `digest` and its signature annotation verifies
 * with `openssl dgst -sha256 -verify PUB` over the payload bytes.
 */
export function checkLayers(layers: SigLayer[], digest: string, pubPem: string, tmp: string): void {
  assert.ok(layers.length >= 1, `no signature layer for ${digest}`);
  for (const [i, l] of layers.entries()) {
    const p = JSON.parse(l.payload.toString('utf8'));
    assert.equal(p.critical.type, 'cosign container image signature');
    assert.equal(p.critical.image['docker-manifest-digest'], digest);
    const files = { payload: join(tmp, `payload-${i}`), sig: join(tmp, `sig-${i}.der`) };
    writeFileSync(files.payload, l.payload);
    writeFileSync(files.sig, Buffer.from(l.annotations['dev.cosignproject.cosign/signature'], 'base64'));
    const out = execFileSync('openssl', ['dgst', '-sha256', '-verify', pubPem, '-signature', files.sig, files.payload], { encoding: 'utf8' });
    assert.match(out, /Verified OK/, `${digest} layer ${i}`);
  }
}

/** The plan lines of one image "app", staged at HOST/staging/app:build-1 and promoted to HOST/release/app as v{version}. */
export const appImagePlan = (host: string): string[] => ['images:', '  - name: app', `    ref: ${host}/staging/app:build-1`, `    promoteTo: [${host}/release/app]`, '    tags: ["v{version}"]'];
