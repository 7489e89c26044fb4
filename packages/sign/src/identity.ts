// Where a keyless run's OIDC identity token comes from, in order: an explicit
// token, a token file, SIGSTORE_ID_TOKEN, GitHub Actions' ambient OIDC
// (audience "sigstore"), and — only when asked or clearly on Google Cloud —
// the GCE / Cloud Build metadata server (krel's case). Tokens are registered
// as secrets the moment they are read, so no log line can carry them.
import { readFile } from 'node:fs/promises';
import { OrelError, registerSecret, type RetryOptions } from '@orel/core';
import { serviceFetch } from './keyless-http.js';

export type TokenSourceName = 'explicit' | 'file' | 'env' | 'github-actions' | 'gce-metadata';

export interface IdentityTokenOptions {
  /** A literal token (from --identity-token or the plan's ${env:...}). */
  token?: string;
  /** A file holding the token (re-read on every call: CI systems refresh them). */
  tokenFile?: string;
  env?: NodeJS.ProcessEnv;
  /** Use the GCE metadata server: true, false, or 'auto' (only when GCE_METADATA_HOST or K_SERVICE/BUILDER_OUTPUT say so). */
  gce?: boolean | 'auto';
  audience?: string;
  retry?: RetryOptions;
}

export interface ResolvedTokenSource {
  source: TokenSourceName;
  /** Fetches a (fresh, where the source supports it) token. */
  getToken(): Promise<string>;
}

const secret = (t: string): string => {
  const token = t.trim();
  registerSecret(token);
  return token;
};

/** Picks the first available token source; none at all is SIGN_FAILED saying what to set. */
export function resolveTokenSource(opts: IdentityTokenOptions): ResolvedTokenSource {
  const env = opts.env ?? process.env;
  const audience = opts.audience ?? 'sigstore';
  if (opts.token) {
    const t = secret(opts.token);
    return { source: 'explicit', getToken: async () => t };
  }
  if (opts.tokenFile) {
    const file = opts.tokenFile;
    return {
      source: 'file',
      async getToken() {
        try {
          return secret(await readFile(file, 'utf8'));
        } catch (e) {
          throw new OrelError('SIGN_FAILED', `cannot read the identity token file ${file}: ${(e as Error).message}`, { cause: e });
        }
      },
    };
  }
  if (env.SIGSTORE_ID_TOKEN) {
    const t = secret(env.SIGSTORE_ID_TOKEN);
    return { source: 'env', getToken: async () => t };
  }
  if (env.ACTIONS_ID_TOKEN_REQUEST_URL && env.ACTIONS_ID_TOKEN_REQUEST_TOKEN) {
    const requestToken = secret(env.ACTIONS_ID_TOKEN_REQUEST_TOKEN);
    const url = new URL(env.ACTIONS_ID_TOKEN_REQUEST_URL);
    url.searchParams.set('audience', audience);
    return {
      source: 'github-actions',
      async getToken() {
        const res = await serviceFetch({
          service: 'GitHub Actions OIDC',
          url: url.href,
          method: 'GET',
          headers: { accept: 'application/json', authorization: `Bearer ${requestToken}` },
          retry: opts.retry,
        });
        const body = (await res.json()) as { value?: string };
        if (!body.value) throw new OrelError('SIGN_FAILED', `GitHub Actions OIDC at ${url.origin} returned no token`, { hint: 'give the job `permissions: id-token: write`' });
        return secret(body.value);
      },
    };
  }
  if (opts.gce === true || (opts.gce === 'auto' && onGoogleCloud(env))) {
    const host = env.GCE_METADATA_HOST || 'metadata.google.internal';
    const url = `http://${host}/computeMetadata/v1/instance/service-accounts/default/identity?audience=${encodeURIComponent(audience)}&format=full`;
    return {
      source: 'gce-metadata',
      async getToken() {
        const res = await serviceFetch({ service: 'GCE metadata server', url, method: 'GET', headers: { 'metadata-flavor': 'Google' }, retry: opts.retry });
        return secret(await res.text());
      },
    };
  }
  throw new OrelError('SIGN_FAILED', 'keyless signing needs an OIDC identity token and none was found', {
    hint: 'pass --identity-token or --identity-token-file, set SIGSTORE_ID_TOKEN, run in GitHub Actions with `permissions: id-token: write`, or on Google Cloud',
  });
}

/** Cloud Build and Cloud Run set these; a plain laptop never does (no metadata probe there). */
function onGoogleCloud(env: NodeJS.ProcessEnv): boolean {
  return env.METADATA_SERVER_DETECTION !== 'none' && !!(env.GCE_METADATA_HOST || env.K_SERVICE || env.BUILDER_OUTPUT || env.CLOUD_BUILD_ID);
}

/** One token, from the first available source. */
export async function resolveIdentityToken(opts: IdentityTokenOptions): Promise<string> {
  return resolveTokenSource(opts).getToken();
}
