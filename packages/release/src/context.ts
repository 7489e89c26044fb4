// What every release step sees. Options (the resolved plan, the mode) are
// immutable input; what happened lives in the journal and the report.
import type { Artifact, ArtifactRegistry, Publisher, Reporter, Signer } from '@orel/core';
import type { SbomFormat } from '@orel/sbom';
import type { Journal } from '@orel/pipeline';
import type { RegistryAccess } from '@orel/oci';
import type { ResolvedPlan } from '@orel/plan';
import type { Witness } from '@sigstore/sign';
import type { ShardSpec } from './shard.js';

export type Mode = 'mock' | 'nomock';

/** What verification trusts: a public key, or a Sigstore trusted root plus the identity policy. */
export interface Trust {
  /** PEM public key for key-signed artifacts. */
  publicKeyPem?: string;
  /** Parsed trusted_root.json for keyless bundles (sandbox or public-good or a file). */
  trustedRoot?: unknown;
  /** The trusted_root.json file users pass as --trusted-root (undefined: the public-good root, which needs none). */
  trustedRootPath?: string;
  /** Which root it is and how old, for verification failures ("…/trusted_root.json (3 days old)"). */
  trustedRootSource?: string;
  /** The Rekor v1 that logged keyless signatures: a .sig + .cert pair's entry is looked up there. */
  rekorUrl?: string;
  /** The Rekor API version signatures were logged with: 2 cannot be searched, so a pair is proven only by its bundle. */
  rekorVersion?: 1 | 2;
}

export interface PublishedRef {
  target: string;
  key: string;
  /** Filesystem path for file targets and the sandbox; URL otherwise. */
  location: string;
}

export interface SignatureRef {
  format: 'bundle' | 'sig' | 'cert' | 'checksums-signature';
  /** The signature artifact's name (e.g. hello.sig). */
  name: string;
  location?: string;
}

export interface ArtifactReport {
  name: string;
  kind: string;
  size: number;
  sha256: string;
  published: PublishedRef[];
  signatures: SignatureRef[];
  verified?: boolean;
  problems?: string[];
}

export interface ReleaseReport {
  mode: Mode;
  plan: string;
  release: { name: string; version: string };
  sandbox?: string;
  stages: { name: string; steps: { name: string; status: string; ms?: number; note?: string; reason?: string }[] }[];
  verified: boolean;
  artifacts: ArtifactReport[];
  images?: unknown[];
  markers?: { target: string; location: string }[];
}

/**
 * What happened in this run, typed: steps read and write it instead of
 * guessing from names or the report.
 */
export interface RunState {
  /** Targets whose post-publish verification passed in this run. */
  verifiedTargets: Set<string>;
  /** The SBOMs to attest, read and validated once (preflight) for the attest-sboms step. */
  sboms?: SbomAttestationPlan[];
  /** `orel merge`: the artifacts the shards staged (and signed); this run only adds what spans them. */
  fromShards?: Set<string>;
}

/** One SBOM of the build, validated, and what its attestation will name. */
export interface SbomAttestationPlan {
  sbom: Artifact;
  format: SbomFormat;
  document: unknown;
  /** The files it describes. */
  files: Artifact[];
  /** Plan image names it describes. */
  images: string[];
  /** <sbom>.intoto.sigstore.json */
  name: string;
  /** Journal key: the SBOM and its subjects' digests. */
  key: string;
}

export const newRunState = (): RunState => ({ verifiedTargets: new Set() });

export interface ReleaseContext {
  readonly rp: ResolvedPlan;
  readonly mode: Mode;
  /** Sandbox root in mock mode. */
  readonly sandboxDir?: string;
  /** Where orel writes what it generates (checksum files, signatures, stage manifest). */
  readonly workDir: string;
  /** Name of the stage being run ("stage" or "release"). */
  stage: string;
  /** `orel stage --shard I/N`: this run stages one part of the build; `orel merge` joins the parts. */
  readonly shard?: ShardSpec;
  /** `orel merge --shards N`: this run joins N shards' stages into one. */
  readonly merge?: { count: number };
  /** `--root`: the build output is here instead of the plan's artifacts.root (a shard's own runner). */
  readonly artifactsRoot?: string;
  readonly artifacts: ArtifactRegistry;
  /** The plan's signer (already substituted in mock mode); undefined when the plan signs nothing. */
  readonly signer?: Signer;
  /** Transparency log / timestamp witnesses (keyless, or key + transparencyLog). */
  readonly witnesses: Witness[];
  /** Publishers by target name (already substituted in mock mode). */
  readonly publishers: ReadonlyMap<string, Publisher>;
  /** Where verification downloads from, by target name, when not the publisher (a plan's publicUrl). */
  readonly readers?: ReadonlyMap<string, Pick<Publisher, 'read' | 'stat' | 'location' | 'url' | 'strays'>>;
  /**
   * Container registries for the image steps: a client per host and, in mock
   * mode, the mapping of staging/release repositories into the sandbox
   * registry (@orel/oci sandboxMapping). Default: registryAccess(), real registries.
   */
  readonly registries?: RegistryAccess;
  readonly trust: Trust;
  /** A mock-mode rehearsal of this version to hold a real run to (set by the composition root). */
  readonly rehearsal?: { manifestPath: string };
  readonly reporter: Reporter;
  readonly journal: Journal;
  readonly report: ReleaseReport;
  readonly run: RunState;
}
