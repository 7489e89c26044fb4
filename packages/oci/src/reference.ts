// Image references: [registry/]repository[:tag][@digest], as docker and
// cosign read them. Pure parsing; no I/O.
import { OrelError } from '@orel/core';

export interface ImageRef {
  /** Registry host[:port] (docker.io for bare names). */
  registry: string;
  repository: string;
  tag?: string;
  digest?: string;
}

const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;
const TAG_RE = /^[\w][\w.-]{0,127}$/;
const REPO_RE = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;

export function isDigest(s: string): boolean {
  return DIGEST_RE.test(s);
}

export function parseImageRef(ref: string, what = 'image reference'): ImageRef {
  const bad = (why: string): never => {
    throw new OrelError('PLAN_INVALID', `${what} "${ref}": ${why}`, {
      hint: 'write registry/repository:tag or registry/repository@sha256:<64 hex>',
    });
  };
  let rest = ref.trim();
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!isDigest(digest)) bad(`"${digest}" is not a sha256 digest`);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG_RE.test(tag)) bad(`"${tag}" is not a valid tag`);
  }
  const slash = rest.indexOf('/');
  const first = slash >= 0 ? rest.slice(0, slash) : '';
  let registry = 'docker.io';
  let repository = rest;
  if (first && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    registry = first;
    repository = rest.slice(slash + 1);
  } else if (!rest.includes('/')) {
    repository = `library/${rest}`;
  }
  if (!repository || !REPO_RE.test(repository)) bad(`"${repository}" is not a valid repository name`);
  return { registry, repository, tag, digest };
}

/** registry/repository, the docker-reference cosign puts in simple-signing payloads. */
export const repoName = (r: Pick<ImageRef, 'registry' | 'repository'>): string => `${r.registry}/${r.repository}`;

export function formatRef(r: ImageRef): string {
  return `${repoName(r)}${r.tag ? `:${r.tag}` : ''}${r.digest ? `@${r.digest}` : ''}`;
}

/** Loopback registries may use plain HTTP; everything else needs TLS unless asked. */
export function isLoopbackHost(host: string): boolean {
  const h = host.startsWith('[') ? host.slice(1, host.indexOf(']')) : host.split(':')[0];
  return h === 'localhost' || h === '::1' || /^127(?:\.\d{1,3}){3}$/.test(h);
}
