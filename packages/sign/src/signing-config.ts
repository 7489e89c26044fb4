// Which Sigstore services to sign with, chosen from a SigningConfig v0.2 (as
// Sigstore distributes it over TUF) the way cosign 3, sigstore-go and
// sigstore-python choose: services valid now, with an API version this
// client speaks, the highest version first, then the newest.
import { ServiceSelector, SigningConfig, type Service } from '@sigstore/protobuf-specs';
import { OrelError } from '@orel/core';

export const SIGNING_CONFIG_MEDIA_TYPE = 'application/vnd.dev.sigstore.signingconfig.v0.2+json';
/** The TUF target names Sigstore publishes signing configs under: the default, and the superset that adds Rekor v2 logs (opt-in, for high request rates). */
export const SIGNING_CONFIG_TARGET = 'signing_config.v0.2.json';
export const SIGNING_CONFIG_REKOR_V2_TARGET = 'signing_config_rekor_v2.v0.2.json';
/** The highest Rekor API version orel writes. */
export const MAX_REKOR_VERSION = 2;

export interface SigstoreServices {
  fulcio: string;
  rekor?: { url: string; version: 1 | 2 };
  tsa?: string;
}

export interface SelectOptions {
  /** Names the config in errors (a file, or the TUF repository it came from). */
  source: string;
  now?: Date;
  /** Highest Rekor API version to use (default: the highest orel speaks, 2). */
  maxRekorVersion?: 1 | 2;
}

/** Parses a signing config document; USAGE naming `source` if it is not one. */
export function parseSigningConfig(json: unknown, source: string): SigningConfig {
  const mediaType = (json as { mediaType?: unknown } | null)?.mediaType;
  if (mediaType !== SIGNING_CONFIG_MEDIA_TYPE) {
    throw new OrelError('USAGE', `${source} is not a Sigstore signing config v0.2 (mediaType ${JSON.stringify(mediaType)})`, {
      hint: `expected mediaType "${SIGNING_CONFIG_MEDIA_TYPE}" (Sigstore's signing_config.v0.2.json)`,
    });
  }
  try {
    return SigningConfig.fromJSON(json);
  } catch (e) {
    throw new OrelError('USAGE', `${source} is not a valid signing config: ${(e as Error).message}`);
  }
}

/** Services valid at `now` with API version ≤ `max`, highest version first, then newest start. */
export function rankServices(services: Service[], max: number, now: Date): Service[] {
  const t = now.getTime();
  return services
    .filter((s) => s.majorApiVersion <= max && (s.validFor?.start?.getTime() ?? 0) <= t && (!s.validFor?.end || s.validFor.end.getTime() > t))
    .sort((a, b) => b.majorApiVersion - a.majorApiVersion || (b.validFor?.start?.getTime() ?? 0) - (a.validFor?.start?.getTime() ?? 0));
}

export function selectServices(config: SigningConfig, opts: SelectOptions): SigstoreServices {
  const now = opts.now ?? new Date();
  const pick = (what: string, list: Service[], max: number, required: boolean): Service | undefined => {
    const [best] = rankServices(list, max, now);
    if (!best && required) {
      const listed = list.map((s) => `${s.url} (v${s.majorApiVersion}${s.validFor?.end ? `, until ${s.validFor.end.toISOString()}` : ''})`).join(', ') || 'none';
      throw new OrelError('USAGE', `${opts.source}: no ${what} valid now with API version ≤ ${max} (listed: ${listed})`, {
        hint: 'refresh the signing config (its TUF repository may have a newer one), or name the service URL in the plan',
      });
    }
    return best;
  };
  // orel logs each signature once; a config asking for more logs than one cannot be honoured silently.
  const selector = config.rekorTlogConfig?.selector;
  const wantsMany = selector === ServiceSelector.ALL ? rankServices(config.rekorTlogUrls, 2, now).length > 1 : selector === ServiceSelector.EXACT && (config.rekorTlogConfig?.count ?? 1) > 1;
  if (wantsMany) {
    throw new OrelError('USAGE', `${opts.source}: the signing config asks for entries in several Rekor logs; orel writes one`, {
      hint: 'use a signing config whose rekorTlogConfig selector is ANY',
    });
  }
  const fulcio = pick('Fulcio (caUrls)', config.caUrls, 1, true)!;
  const rekor = pick('Rekor (rekorTlogUrls)', config.rekorTlogUrls, opts.maxRekorVersion ?? MAX_REKOR_VERSION, config.rekorTlogUrls.length > 0);
  const tsa = pick('timestamp authority (tsaUrls)', config.tsaUrls, 1, false);
  return {
    fulcio: fulcio.url,
    rekor: rekor ? { url: rekor.url, version: rekor.majorApiVersion === 2 ? 2 : 1 } : undefined,
    tsa: tsa?.url,
  };
}

/** Service URLs a plan names, which win over a signing config's. */
export interface PlannedServices {
  fulcio?: string;
  rekor?: string;
  rekorVersion?: 1 | 2;
  tsa?: string;
}

export interface ResolvedServices {
  fulcio: string;
  rekor: { url: string; version: 1 | 2 };
  /** The plan's, else the config's (as cosign 3 and sigstore-python: a listed TSA timestamps every signature). */
  tsa?: string;
}

/**
 * The services to sign with: the plan's URLs, else the signing config's
 * choice (the highest Rekor version it offers, or the plan's rekorVersion),
 * else `fallback` (public-good v1).
 */
export function resolveServices(planned: PlannedServices, config: SigningConfig | undefined, source: string, fallback: { fulcio: string; rekor: string }): ResolvedServices {
  const selected = config ? selectServices(config, { source, maxRekorVersion: planned.rekorVersion }) : undefined;
  let rekor: ResolvedServices['rekor'];
  if (planned.rekor) rekor = { url: planned.rekor, version: planned.rekorVersion ?? 1 };
  else if (selected?.rekor) rekor = selected.rekor;
  else rekor = { url: fallback.rekor, version: 1 };
  if (planned.rekorVersion === 2 && rekor.version < 2) {
    throw new OrelError('USAGE', `rekorVersion 2 was asked for, but ${source} lists no Rekor v2 log valid now (it chose ${rekor.url}, v1)`, {
      hint: 'name the Rekor v2 URL in the signer ("rekor"), use a signing config that lists one, or drop rekorVersion',
    });
  }
  return {
    fulcio: planned.fulcio ?? selected?.fulcio ?? fallback.fulcio,
    rekor,
    tsa: planned.tsa ?? selected?.tsa,
  };
}
