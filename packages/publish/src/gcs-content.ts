// Content-Type and Cache-Control for objects, from the key's file name:
// browsers and `curl` users see text as text, archives as downloads.

const BY_SUFFIX: [RegExp, string][] = [
  [/\.(sha256|sha512|sha384|sig|cert|pem|pub|asc|txt)$|(^|\/)(SHA256SUMS|SHA512SUMS)$/i, 'text/plain; charset=utf-8'],
  [/\.md$/i, 'text/markdown; charset=utf-8'],
  [/\.(json|sigstore)$/i, 'application/json'],
  [/\.(jsonl|ndjson)$/i, 'application/x-ndjson'],
  [/\.(tar\.gz|tgz|gz)$/i, 'application/gzip'],
  [/\.zip$/i, 'application/zip'],
  [/\.tar$/i, 'application/x-tar'],
  [/\.(tar\.xz|xz)$/i, 'application/x-xz'],
  [/\.(tar\.zst|zst)$/i, 'application/zstd'],
  [/\.(yaml|yml)$/i, 'application/yaml'],
];

export function contentTypeForKey(key: string): string {
  for (const [re, type] of BY_SUFFIX) if (re.test(key)) return type;
  return 'application/octet-stream';
}

/** Released objects never change (ifGenerationMatch: 0), so caches may keep them. */
export const IMMUTABLE_CACHE_CONTROL = 'public, max-age=31536000, immutable';
/** Version markers move between releases: every reader must revalidate. */
export const MARKER_CACHE_CONTROL = 'no-cache, max-age=0';

export function cacheControlFor(overwrite: boolean | undefined): string {
  return overwrite ? MARKER_CACHE_CONTROL : IMMUTABLE_CACHE_CONTROL;
}
