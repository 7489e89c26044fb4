// What the signing outputs of a file are called: a naming convention (the
// Kubernetes layout, or cosign's habit of a .pem certificate) and per-output
// templates "{file}<suffix>". Every output is named after the file it signs,
// so the stage, its shards, VERIFY.md and verification agree on one rule.
import { KUBERNETES_OUTPUT_SUFFIXES } from '@orel/core';
import type { SignOutput, SigningSection } from './types.js';

export const NAMING_PRESETS = {
  /** dl.k8s.io: <file>.sig, <file>.cert (base64 PEM), <file>.sigstore.json. */
  kubernetes: KUBERNETES_OUTPUT_SUFFIXES,
  /** cosign sign-blob --output-signature <file>.sig --output-certificate <file>.pem (GoReleaser, Flux, Carvel). */
  cosign: { ...KUBERNETES_OUTPUT_SUFFIXES, cert: '.pem' },
} as const satisfies Record<string, Record<SignOutput, string>>;

export type NamingPreset = keyof typeof NAMING_PRESETS;
export const NAMING_PRESET_NAMES = Object.keys(NAMING_PRESETS) as NamingPreset[];

/** A template names an output after its file: "{file}" then a suffix with no "/" or placeholder. */
export const NAME_TEMPLATE_RE = /^\{file\}([^/{}\s]+)$/;

/** The suffix each output adds to the signed file's name. */
export function outputSuffixes(signing: Pick<SigningSection, 'naming' | 'names'> | undefined): Record<SignOutput, string> {
  const out: Record<SignOutput, string> = { ...NAMING_PRESETS[signing?.naming ?? 'kubernetes'] };
  for (const [k, template] of Object.entries(signing?.names ?? {}) as [SignOutput, string][]) {
    const m = NAME_TEMPLATE_RE.exec(template);
    if (m) out[k] = m[1]; // schema validation refuses any other form first
  }
  return out;
}

/** The name of a file's signing output. */
export const outputName = (suffixes: Record<SignOutput, string>, output: SignOutput, file: string): string => file + suffixes[output];
