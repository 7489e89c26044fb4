import type { Witness } from '@sigstore/sign';
import { OrelError, type RetryOptions } from '@orel/core';
import { DEFAULT_REKOR_URL } from './keyless.js';
import { RekorLogWitness } from './rekor-witness.js';
import { RekorV2LogWitness } from './rekor-v2-witness.js';
import { TimestampWitness } from './tsa-witness.js';

export interface WitnessSpec {
  rekor?: string;
  /** Rekor's major API version: 1 (default) or 2 (rekor-tiles; needs a TSA: v2 gives no integrated time). */
  rekorVersion?: 1 | 2;
  tsa?: string;
  retry?: RetryOptions;
}

/** Rekor (public-good v1 by default) and, when a URL is given, a timestamp authority. */
export function createKeylessWitnesses(spec: WitnessSpec): Witness[] {
  const rekorUrl = spec.rekor || DEFAULT_REKOR_URL;
  if (spec.rekorVersion === 2 && !spec.tsa) {
    throw new OrelError('USAGE', `Rekor v2 (${rekorUrl}) records no time: signing with it needs a timestamp authority`, {
      hint: 'set the signer\'s "tsa" URL, or take the services from a signing config that names one',
    });
  }
  const witnesses: Witness[] = [
    spec.rekorVersion === 2 ? new RekorV2LogWitness({ rekorUrl, retry: spec.retry }) : new RekorLogWitness({ rekorUrl, retry: spec.retry }),
  ];
  if (spec.tsa) witnesses.push(new TimestampWitness({ tsaUrl: spec.tsa, retry: spec.retry }));
  return witnesses;
}
