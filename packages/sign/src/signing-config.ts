// Which Sigstore services to sign with, chosen from a SigningConfig v0.2 (as
// Sigstore distributes it over TUF) the way cosign 3, sigstore-go and
// sigstore-python choose: services valid now, with an API version this
// client speaks, the highest version first, then the newest.
import { ServiceSelector, SigningConfig, type Service } from '@sigstore/protobuf-specs';
import { OrelError } from '@orel/core';

export const SIGNING_CONFIG_MEDIA_TYPE = 'application/vnd.dev.sigstore.signingconfig.v0.2+json';
/** The TUF target names Sigstore publishes signing configs under. */
export const SIGNING_CONFIG_TARGET = 'signing_config.v0.2.json';

export interface SigstoreServices {
  fulcio: string;
  rekor?: { url: string; version: 1 | 2 };
  tsa?: string;
}

export interface SelectOptions {
  /** Names the config in errors (a file, or the TUF repository it came from). */
  source: string;
  now?: Date;
  /** Highest Rekor API version to use (default 1; 2 selects rekor-tiles logs when the config lists them). */
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
  const rekor = pick('Rekor (rekorTlogUrls)', config.rekorTlogUrls, opts.maxRekorVersion ?? 1, config.rekorTlogUrls.length > 0);
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
  /** Used when the plan names one or Rekor v2 needs one. */
  tsa?: string;
}

/**
 * The services to sign with: the plan's URLs, else the signing config's
 * choice (Rekor up to the plan's rekorVersion), else `fallback` (public-good).
 */
export function resolveServices(planned: PlannedServices, config: SigningConfig | undefined, source: string, fallback: { fulcio: string; rekor: string }): ResolvedServices {
  const want = planned.rekorVersion ?? 1;
  const selected = config ? selectServices(config, { source, maxRekorVersion: want }) : undefined;
  let rekor: ResolvedServices['rekor'];
  if (planned.rekor) rekor = { url: planned.rekor, version: want };
  else if (selected?.rekor) rekor = selected.rekor;
  else rekor = { url: fallback.rekor, version: 1 };
  if (rekor.version < want) {
    throw new OrelError('USAGE', `rekorVersion 2 was asked for, but ${source} lists no Rekor v2 log valid now (it chose ${rekor.url}, v1)`, {
      hint: 'name the Rekor v2 URL in the signer ("rekor"), use a signing config that lists one, or drop rekorVersion',
    });
  }
  return {
    fulcio: planned.fulcio ?? selected?.fulcio ?? fallback.fulcio,
    rekor,
    tsa: planned.tsa ?? (rekor.version === 2 ? selected?.tsa : undefined),
  };
}
