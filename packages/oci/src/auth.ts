// Registry credentials and the WWW-Authenticate dance: anonymous, basic, or
// a bearer token fetched from the challenge's realm (with basic credentials
// when we have them). Sources, first wins: explicit, environment
// (OREL_REGISTRY_USERNAME/OREL_REGISTRY_PASSWORD), docker config.json `auths`.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { registerSecret } from '@orel/core';

export interface Credentials {
  username: string;
  password: string;
}

export interface Challenge {
  scheme: 'basic' | 'bearer';
  params: Record<string, string>;
}

/** Parses `Bearer realm="...",service="...",scope="..."` (quoted values may hold commas). */
export function parseChallenge(header: string | null): Challenge | undefined {
  if (!header) return undefined;
  const m = /^\s*(\w+)\s*(.*)$/s.exec(header);
  if (!m) return undefined;
  const scheme = m[1].toLowerCase();
  if (scheme !== 'basic' && scheme !== 'bearer') return undefined;
  const params: Record<string, string> = {};
  for (const p of m[2].matchAll(/(\w+)=(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g)) params[p[1].toLowerCase()] = p[2] ?? p[3];
  return { scheme, params };
}

function fromAuthString(auth: string): Credentials | undefined {
  const text = Buffer.from(auth, 'base64').toString('utf8');
  const i = text.indexOf(':');
  return i > 0 ? { username: text.slice(0, i), password: text.slice(i + 1) } : undefined;
}

/** Credentials for a registry host from docker's config.json (`auths` only; credential helpers are not run). */
export function dockerConfigCredentials(host: string, configDir = process.env.DOCKER_CONFIG ?? join(homedir(), '.docker')): Credentials | undefined {
  let config: any;
  try {
    config = JSON.parse(readFileSync(join(configDir, 'config.json'), 'utf8'));
  } catch {
    return undefined;
  }
  const auths: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }> = config?.auths ?? {};
  const keyHost = (k: string): string => k.replace(/^https?:\/\//, '').split('/')[0];
  const aliases = host === 'docker.io' ? ['docker.io', 'index.docker.io', 'registry-1.docker.io'] : [host];
  const entry = Object.entries(auths).find(([k]) => aliases.includes(keyHost(k)))?.[1];
  if (!entry) return undefined;
  const creds = entry.auth ? fromAuthString(entry.auth) : entry.username ? { username: entry.username, password: entry.password ?? '' } : undefined;
  if (creds && entry.identitytoken) creds.password = entry.identitytoken;
  return creds;
}

export function resolveCredentials(host: string, explicit?: Credentials, env: NodeJS.ProcessEnv = process.env): Credentials | undefined {
  const creds =
    explicit ??
    (env.OREL_REGISTRY_USERNAME && env.OREL_REGISTRY_PASSWORD
      ? { username: env.OREL_REGISTRY_USERNAME, password: env.OREL_REGISTRY_PASSWORD }
      : dockerConfigCredentials(host));
  registerSecret(creds?.password);
  return creds;
}

export const basicHeader = (c: Credentials): string => `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
