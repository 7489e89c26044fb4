// What the signing outputs of a file are called: a naming convention
// (presets) and per-output templates. "{file}<suffix>" names an output after
// the file it signs; a plain name is one certificate every signature shares
// (Spin's crt.pem). The stage, its shards, VERIFY.md and verification all
// name outputs through outputName, so they agree on one rule.
import { KUBERNETES_OUTPUT_NAMES, sharedOutputName, type OutputNames } from '@orel/core';
import type { Plan, SigningSection } from './types.js';

export const NAMING_PRESETS = {
  /** dl.k8s.io: <file>.sig, <file>.cert (base64 PEM), <file>.sigstore.json. */
  kubernetes: KUBERNETES_OUTPUT_NAMES,
  /** cosign sign-blob --output-signature <file>.sig --output-certificate <file>.pem (GoReleaser, Flux, Carvel). */
  cosign: { ...KUBERNETES_OUTPUT_NAMES, cert: '{file}.pem' },
  /** Spin: <file>.sig, and crt.pem, the one certificate every signature was made under. */
  spin: { ...KUBERNETES_OUTPUT_NAMES, cert: 'crt.pem' },
} as const satisfies Record<string, OutputNames>;

export type NamingPreset = keyof typeof NAMING_PRESETS;
export const NAMING_PRESET_NAMES = Object.keys(NAMING_PRESETS) as NamingPreset[];

/** A per-file template: "{file}" then a suffix with no "/" or placeholder. */
export const NAME_TEMPLATE_RE = /^\{file\}([^/{}\s]+)$/;
/** A shared file's name (a certificate only): no "/", placeholder or leading dot. */
export const SHARED_NAME_RE = /^[^./{}\s][^/{}\s]*$/;

/** The name template of each output: the preset, overridden per output by signing.names. */
export function outputNames(signing: Pick<SigningSection, 'naming' | 'names'> | undefined): OutputNames {
  return { ...NAMING_PRESETS[signing?.naming ?? 'kubernetes'], ...signing?.names };
}

/** The one certificate file the plan's signatures share (Spin's crt.pem), when it writes one. */
export function sharedCertificateName(plan: Pick<Plan, 'signing'>): string | undefined {
  return plan.signing?.outputs.includes('cert') ? sharedOutputName(outputNames(plan.signing), 'cert') : undefined;
}
