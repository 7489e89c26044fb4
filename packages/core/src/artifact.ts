// The typed artifact registry: one list decides what is checksummed, signed,
// uploaded and verified (after goreleaser's internal/artifact).

export type ArtifactKind =
  | 'binary'
  | 'archive'
  | 'sbom'
  | 'provenance'
  | 'other'
  | 'checksum' // SHA256SUMS, checksums.txt, <file>.sha256
  | 'signature' // <file>.sig
  | 'certificate' // <file>.cert
  | 'bundle' // <file>.sigstore.json
  | 'public-key' // cosign.pub
  | 'manifest' // the stage manifest
  | 'notes' // VERIFY.md and similar
  | 'attestation' // a signed in-toto statement orel makes (the release's SLSA provenance), a DSSE Sigstore bundle
  | 'image'; // a container image (by digest), never a local file

/** Kinds that come out of the build (inputs) rather than out of orel. */
export const BUILD_KINDS: readonly ArtifactKind[] = ['binary', 'archive', 'sbom', 'provenance', 'other'];

export interface Artifact {
  /** Destination file name; unique within a release. */
  name: string;
  kind: ArtifactKind;
  /** Absolute local path of the bytes (absent for images and remote-only items). */
  path?: string;
  /** Path relative to the artifact root, as discovered. */
  relPath?: string;
  /** The plan's artifact set it came from. */
  set?: string;
  os?: string;
  arch?: string;
  size: number;
  sha256: string;
  sha512: string;
  /** For derived artifacts (signatures, per-file checksums): the artifact they describe. */
  subject?: string;
  /** Checksum files: the algorithm of the digests they list (never guessed from the name). */
  algorithm?: 'sha256' | 'sha512';
  /** Attestations: the in-toto predicate type of the statement they sign (SLSA provenance, SPDX, CycloneDX). */
  predicateType?: string;
  /** Values the set's path pattern extracted ({name}, {version}...), beyond os/arch. */
  placeholders?: Record<string, string>;
  /** Where this artifact was staged (from the stage manifest, at release time). */
  staged?: StagedLocation[];
}

/** One staged copy of an artifact. */
export interface StagedLocation {
  /** Target name from the plan. */
  target: string;
  /** Object key / path inside the target. */
  key: string;
  /** Where it is (file path for file targets, URL otherwise). */
  location: string;
}

export type ArtifactFilter = (a: Artifact) => boolean;

export const byKind =
  (...kinds: ArtifactKind[]): ArtifactFilter =>
  (a) =>
    kinds.includes(a.kind);
export const byName =
  (...names: string[]): ArtifactFilter =>
  (a) =>
    names.includes(a.name);
export const bySet =
  (...sets: string[]): ArtifactFilter =>
  (a) =>
    a.set !== undefined && sets.includes(a.set);
export const bySubject =
  (subject: string): ArtifactFilter =>
  (a) =>
    a.subject === subject;
export const and =
  (...fs: ArtifactFilter[]): ArtifactFilter =>
  (a) =>
    fs.every((f) => f(a));
export const or =
  (...fs: ArtifactFilter[]): ArtifactFilter =>
  (a) =>
    fs.some((f) => f(a));
export const not =
  (f: ArtifactFilter): ArtifactFilter =>
  (a) =>
    !f(a);
export const isBuildOutput: ArtifactFilter = (a) => BUILD_KINDS.includes(a.kind);

/** An ordered, name-unique list of artifacts. Order is insertion order, which callers keep deterministic. */
export class ArtifactRegistry {
  private readonly items = new Map<string, Artifact>();

  constructor(initial: Iterable<Artifact> = []) {
    for (const a of initial) this.add(a);
  }

  /** Adds an artifact; a second artifact with the same name is an error unless identical (re-runs). */
  add(a: Artifact): void {
    const prev = this.items.get(a.name);
    if (prev && (prev.sha256 !== a.sha256 || prev.kind !== a.kind)) {
      throw new Error(`artifact name collision: ${a.name}`);
    }
    this.items.set(a.name, a);
  }

  /** Replaces (or adds) an artifact by name, e.g. a re-generated checksum file. */
  upsert(a: Artifact): void {
    this.items.set(a.name, a);
  }

  get(name: string): Artifact | undefined {
    return this.items.get(name);
  }

  has(name: string): boolean {
    return this.items.has(name);
  }

  list(filter?: ArtifactFilter): Artifact[] {
    const all = [...this.items.values()];
    return filter ? all.filter(filter) : all;
  }

  get size(): number {
    return this.items.size;
  }

  toJSON(): Artifact[] {
    return this.list();
  }
}
