// How release steps reach registries: one client per host (auth and tokens
// cached), and the repository mapping that mock mode substitutes. In
// --nomock both roles map to themselves; in mock mode the composition root
// maps staging and release repositories into a sandbox registry, so nothing
// is signed or pushed to real registries (images are read from staging only).
import type { Credentials } from './auth.js';
import { RegistryClient, type RegistryClientOptions } from './client.js';
import { parseImageRef } from './reference.js';
import type { RepoHandle } from './promote.js';

export type RepoRole = 'staging' | 'release';

export interface RegistryAccess {
  client(host: string, opts?: { insecure?: boolean }): RegistryClient;
  /** registry/repo → where orel writes for it (identity unless mocked). */
  map(repository: string, role: RepoRole): string;
}

export function registryAccess(opts: Omit<RegistryClientOptions, 'insecure' | 'credentials'> & {
  credentials?: (host: string) => Credentials | undefined;
  map?: RegistryAccess['map'];
} = {}): RegistryAccess {
  const clients = new Map<string, RegistryClient>();
  return {
    client(host, o = {}) {
      const key = `${host}|${o.insecure ? 1 : 0}`;
      let c = clients.get(key);
      if (!c) clients.set(key, (c = new RegistryClient(host, { ...opts, insecure: o.insecure, credentials: opts.credentials?.(host) })));
      return c;
    },
    map: opts.map ?? ((r) => r),
  };
}

/**
 * Mock-mode mapping into one sandbox registry: `reg.example/team/app` becomes
 * `<sandboxHost>/<role>/reg.example/team/app` (":" of a port turned into "-").
 */
export function sandboxMapping(sandboxHost: string): RegistryAccess['map'] {
  return (repository, role) => `${sandboxHost}/${role}/${repository.replace(/:(\d+)\//, '-$1/').toLowerCase()}`;
}

/** Client + repository path for a registry/repo string. */
export function handleFor(access: RegistryAccess, repository: string, insecure?: boolean): RepoHandle {
  const r = parseImageRef(repository, 'repository');
  return { client: access.client(r.registry, { insecure }), repo: r.repository };
}
