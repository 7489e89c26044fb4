// Built-in variables derived from the release version and build.
import { SEMVER_RE } from './schema.js';

export interface VersionParts {
  /** Without a leading "v". */
  version: string;
  major: string;
  minor: string;
  patch: string;
  /** The pre-release part ("rc.1"), or "" for a final release. */
  prerelease: string;
}

/** Parses a semantic version (leading "v" allowed); undefined when it is not one. */
export function parseVersion(v: string): VersionParts | undefined {
  const m = SEMVER_RE.exec(v.trim());
  if (!m) return undefined;
  return { version: v.trim().replace(/^v/, ''), major: m[1], minor: m[2], patch: m[3], prerelease: m[4] ?? '' };
}

/** A UTC timestamp such as 20261121T235959Z. */
export const defaultBuildId = (now = new Date()): string => now.toISOString().replace(/\.\d+Z$/, 'Z').replace(/[-:]/g, '');
