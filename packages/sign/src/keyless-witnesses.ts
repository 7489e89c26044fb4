import type { Witness } from '@sigstore/sign';
import type { RetryOptions } from '@orel/core';
import { DEFAULT_REKOR_URL } from './keyless.js';
import { RekorLogWitness } from './rekor-witness.js';
import { TimestampWitness } from './tsa-witness.js';

/** Rekor (public-good by default) and, when a URL is given, a timestamp authority. */
export function createKeylessWitnesses(spec: { rekor?: string; tsa?: string; retry?: RetryOptions }): Witness[] {
  const witnesses: Witness[] = [new RekorLogWitness({ rekorUrl: spec.rekor || DEFAULT_REKOR_URL, retry: spec.retry })];
  if (spec.tsa) witnesses.push(new TimestampWitness({ tsaUrl: spec.tsa, retry: spec.retry }));
  return witnesses;
}
