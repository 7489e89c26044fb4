// The JSON shapes GitHub returns for releases and assets (fields as recorded in
// @octokit/fixtures' release-assets scenarios, plus `digest`, which GitHub has
// returned on assets since 2025).

export interface StoredAsset {
  id: number;
  releaseId: number;
  name: string;
  label: string | null;
  contentType: string;
  /** "uploaded" once complete; "starter" when the upload broke off (GitHub leaves those behind). */
  state: 'uploaded' | 'starter';
  data: Buffer;
  sha256: string;
  createdAt: string;
  updatedAt: string;
  downloads: number;
}

export interface StoredRelease {
  id: number;
  owner: string;
  repo: string;
  tagName: string;
  targetCommitish: string;
  name: string | null;
  body: string | null;
  draft: boolean;
  prerelease: boolean;
  createdAt: string;
  publishedAt: string | null;
  /** Drafts live under "untagged-<hex>" URLs until they are published. */
  untaggedSlug: string;
  assets: StoredAsset[];
}

export interface UrlBases {
  api: string;
  uploads: string;
  web: string;
}

const user = (api: string) => ({
  login: 'orel-test-user',
  id: 1,
  node_id: 'MDQ6VXNlcjE=',
  type: 'User',
  site_admin: false,
  url: `${api}/users/orel-test-user`,
});

export function releaseSlug(r: StoredRelease): string {
  return r.draft ? r.untaggedSlug : r.tagName;
}

export function assetJson(b: UrlBases, r: StoredRelease, a: StoredAsset, withDigest: boolean): Record<string, unknown> {
  return {
    url: `${b.api}/repos/${r.owner}/${r.repo}/releases/assets/${a.id}`,
    id: a.id,
    node_id: Buffer.from(`ReleaseAsset${a.id}`).toString('base64'),
    name: a.name,
    label: a.label,
    uploader: user(b.api),
    content_type: a.contentType,
    state: a.state,
    size: a.data.length,
    ...(withDigest && a.state === 'uploaded' ? { digest: `sha256:${a.sha256}` } : {}),
    download_count: a.downloads,
    created_at: a.createdAt,
    updated_at: a.updatedAt,
    browser_download_url: `${b.web}/${r.owner}/${r.repo}/releases/download/${releaseSlug(r)}/${encodeURIComponent(a.name)}`,
  };
}

export function releaseJson(b: UrlBases, r: StoredRelease, withDigest: boolean): Record<string, unknown> {
  const repoApi = `${b.api}/repos/${r.owner}/${r.repo}`;
  return {
    url: `${repoApi}/releases/${r.id}`,
    assets_url: `${repoApi}/releases/${r.id}/assets`,
    upload_url: `${b.uploads}/repos/${r.owner}/${r.repo}/releases/${r.id}/assets{?name,label}`,
    html_url: `${b.web}/${r.owner}/${r.repo}/releases/tag/${releaseSlug(r)}`,
    id: r.id,
    author: user(b.api),
    node_id: Buffer.from(`Release${r.id}`).toString('base64'),
    tag_name: r.tagName,
    target_commitish: r.targetCommitish,
    name: r.name,
    draft: r.draft,
    prerelease: r.prerelease,
    created_at: r.createdAt,
    published_at: r.publishedAt,
    assets: r.assets.map((a) => assetJson(b, r, a, withDigest)),
    tarball_url: r.draft ? null : `${repoApi}/tarball/${r.tagName}`,
    zipball_url: r.draft ? null : `${repoApi}/zipball/${r.tagName}`,
    body: r.body,
  };
}

/** GitHub's 422 body for a duplicate (as recorded in release-assets-conflict). */
export function validationFailed(resource: string, field: string, code = 'already_exists'): Record<string, unknown> {
  return {
    message: 'Validation Failed',
    errors: [{ resource, code, field }],
    documentation_url: 'https://docs.github.com/rest',
  };
}

/**
 * GitHub renames asset files whose names hold characters other than these
 * (and strips leading/trailing dots); the stored name is what you get back.
 */
export function normaliseAssetName(name: string): string {
  return name.replace(/[^A-Za-z0-9._+@~-]/g, '.').replace(/^\.+|\.+$/g, '');
}
