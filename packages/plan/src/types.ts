// The release plan, as written in YAML (after ${...} interpolation) and as
// the rest of orel reads it. The JSON Schema in schema.ts describes the same
// shape; keep the two in step.
import type { ArtifactKind, SignOutputKind } from '@orel/core';

export const PLAN_API_VERSION = 'orel.dev/v1';

export interface Plan {
  apiVersion: typeof PLAN_API_VERSION;
  release: ReleaseInfo;
  /** Free variables, usable as ${name} in strings and {name} in layouts. */
  variables?: Record<string, string>;
  artifacts?: ArtifactsSection;
  images?: ImageSpec[];
  checksums?: ChecksumsSection;
  /** Named signers; `signing.signer` picks one. */
  signers?: Record<string, SignerSpec>;
  signing?: SigningSection;
  targets: TargetSpec[];
  /** Version marker files written last, after verification passed. */
  markers?: MarkersSection;
  stages?: StagesSection;
  verification?: VerificationPolicy;
  /** Attestations orel makes: a SLSA v1 provenance for the release, SBOM attestations. */
  attestations?: AttestationsSection;
  /** Where mock mode's sandbox lives (default .orel/sandbox next to the plan). */
  sandbox?: { dir?: string };
}

export interface AttestationsSection {
  provenance?: boolean;
  /** Attest the SBOMs the build produced: true (bound by name, else to the release) or explicit bindings. */
  sboms?: boolean | SbomBindingSpec[];
}

export interface SbomBindingSpec {
  /** The SBOM's release name, or a glob over release names. */
  file: string;
  /** Globs over the release names of the files it describes. */
  describes?: string[];
  /** Plan image names it describes. */
  images?: string[];
}

export interface ReleaseInfo {
  name: string;
  /** Semver without a leading "v" (a leading "v" is accepted and stripped in {version}). */
  version: string;
  /** Default: true when the version has a pre-release part (1.2.0-rc.1). */
  prerelease?: boolean;
  /** Identifies one build when staging several times (default: a timestamp). */
  buildId?: string;
}

export interface ArtifactsSection {
  /** Directory holding the build output, relative to the plan file. */
  root: string;
  /** Files read in parallel (default 8). */
  concurrency?: number;
  /** Take the artifact list a build tool wrote: "goreleaser" reads the root's artifacts.json and metadata.json; "krel" a copy of krel's stage/<build-version>/. */
  from?: 'goreleaser' | 'krel';
  /** Globbed sets (with `from`: files beyond what the tool listed). */
  sets?: ArtifactSet[];
}

export interface ArtifactSet {
  name: string;
  kind: Exclude<ArtifactKind, 'checksum' | 'signature' | 'certificate' | 'bundle' | 'public-key' | 'manifest' | 'notes' | 'attestation' | 'image'>;
  /** Globs relative to the root. */
  include: string[];
  exclude?: string[];
  /**
   * Path pattern that extracts os/arch (and any other {placeholder}) from the
   * path relative to the root, e.g. "bin/{os}/{arch}/{file}". A path that does
   * not match the pattern is an error naming it.
   */
  pattern?: string;
  /** Destination name template (default "{file}", the base name), e.g. "{file}-{os}-{arch}". */
  rename?: string;
  /** A glob matching nothing is an error unless optional. */
  optional?: boolean;
}

export interface ImageSpec {
  /** Logical name used in reports and layouts. */
  name: string;
  /** Staging reference, by tag or digest: registry/repo:tag or registry/repo@sha256:... */
  ref: string;
  /** Also sign every platform manifest of a multi-arch index. */
  signPlatforms?: boolean;
  /** Release repositories to promote to (registry/repo, no tag). */
  promoteTo?: string[];
  /** Tags applied in release repositories (templated: "v{version}"). */
  tags?: string[];
  /** Tags that may move (like "latest"); any other tag pointing elsewhere is refused. */
  mutableTags?: string[];
  /** Plain HTTP for this registry (loopback registries only, or when asked). */
  insecure?: boolean;
}

export type ChecksumAlgorithm = 'sha256' | 'sha512';

export interface ChecksumsSection {
  /** Aggregate files in coreutils format ("<hex>  <name>"). */
  files?: { name: string; algorithm: ChecksumAlgorithm }[];
  /** Per-file <name>.sha256 / <name>.sha512 (dl.k8s.io layout). */
  perFile?: ChecksumAlgorithm[];
}

export type SignerSpec = KeySignerSpec | KmsSignerSpec | Pkcs11SignerSpec | KeylessSignerSpec;

/** A key signer whose key a corporate CA certified: outputs carry the certificate and its chain. */
export interface CertifiedSpec {
  /** PEM certificate issued for the signer's key; relative to the plan. */
  certificate?: string;
  /** PEM issuing CAs, intermediates first, root last (cosign's --certificate-chain); relative to the plan. */
  certificateChain?: string;
}

export interface KeySignerSpec extends CertifiedSpec {
  type: 'key';
  /** PEM PKCS#8 EC P-256 private key, or a cosign encrypted key; relative to the plan. */
  key: string;
  /** Password for encrypted keys; write ${env:NAME}, never the literal. */
  password?: string;
}

export interface KmsSignerSpec extends CertifiedSpec {
  type: 'kms';
  /** gcpkms://projects/P/locations/L/keyRings/R/cryptoKeys/K[/cryptoKeyVersions/V] */
  key: string;
  /** host:port of a private or test endpoint. */
  endpoint?: string;
  /** Plaintext gRPC; only honoured for loopback endpoints. */
  insecure?: boolean;
}

export interface Pkcs11SignerSpec extends CertifiedSpec {
  type: 'pkcs11';
  /** RFC 7512 URI: pkcs11:token=...;object=... */
  uri: string;
  /** Path of the PKCS#11 module (.so). */
  module: string;
  pin?: string;
}

export interface KeylessSignerSpec {
  type: 'keyless';
  /** "public-good" (TUF; default), "sandbox", "tuf" (verification.tuf's mirror) or a signing_config.v0.2.json file. */
  signingConfig?: string;
  /** Rekor API version: 1 (default) or 2 (needs a TSA). */
  rekorVersion?: 1 | 2;
  fulcio?: string;
  rekor?: string;
  /** RFC 3161 timestamp authority (optional). */
  tsa?: string;
  /** OIDC token source: a literal via ${env:...}, a file, or ambient (GitHub Actions, GCE). */
  identityToken?: string;
  identityTokenFile?: string;
}

/** A signing output: a bundle, a detached signature, a certificate (named by OutputNames). */
export type SignOutput = SignOutputKind;

export interface SigningSection {
  signer: string;
  /** Sign every artifact, or only the aggregate checksum files. */
  what: 'artifacts' | 'checksums';
  /** bundle: <file>.sigstore.json; sig: <file>.sig (base64 DER); cert: <file>.cert (keyless only). */
  outputs: SignOutput[];
  /** How the outputs are named: kubernetes (<file>.cert, default), cosign (<file>.pem) or spin (one crt.pem). */
  naming?: 'kubernetes' | 'cosign' | 'spin';
  /** Per-output names, winning over naming: "{file}<suffix>" (e.g. cert: "{file}.crt"), or for cert one shared file ("crt.pem"). */
  names?: Partial<Record<SignOutput, string>>;
  /** Upload key-signed entries to Rekor as well (keyless always does); verification then requires them. */
  transparencyLog?: boolean;
  /** Rekor URL for key-signed entries (default: public-good Rekor; mock mode: the sandbox Rekor). */
  rekor?: string;
  /** Signatures in flight (default 8). */
  concurrency?: number;
}

export interface TargetSpec {
  name: string;
  /** file://path (relative to the plan), gs://bucket/prefix, github://owner/repo (images go under `images`). */
  url: string;
  /** Layout templates by artifact kind; "default" for the rest. */
  layout?: Partial<Record<ArtifactKind | 'default', string>>;
  /** A built-in layout (e.g. "dl.k8s.io"). */
  preset?: 'dl.k8s.io' | 'flat';
  /** Private or test endpoint (GCS JSON API base URL, GitHub API base URL). */
  endpoint?: string;
  /** Secret for the target (GitHub token); write ${env:NAME}. */
  token?: string;
  /** GitHub: tag to release (default "v{version}"). */
  tag?: string;
  /** GitHub: release title and body templates. */
  title?: string;
  body?: string;
  /** GitHub: on a draft, replace an asset whose bytes differ (never on a published release). */
  replaceDraftAssets?: boolean;
  /** Public download URL template ("https://dl.example.org/{path}") used by verify. */
  publicUrl?: string;
  /** Parallel uploads (default 8; GitHub is paced regardless). */
  concurrency?: number;
}

export interface MarkersSection {
  /** Target names that receive markers (default: every release target that supports it). */
  targets?: string[];
  /** Marker file names (templated): stable.txt, latest.txt, latest-{major}.{minor}.txt */
  files: string[];
}

export type StepName =
  | 'discover'
  | 'check-rehearsal'
  | 'checksum'
  | 'preflight'
  | 'sign'
  | 'publish'
  | 'record'
  | 'verify'
  | 'check-staged'
  | 'promote'
  | 'sign-images'
  | 'promote-images'
  | 'verify-images'
  | 'notes'
  | 'markers'
  | 'finalize'
  | 'provenance'
  | 'attest-sboms';

export interface StageSpec {
  /** Targets this stage publishes to. */
  targets: string[];
  /** Ordered steps (default: the built-in list for the stage). */
  steps?: StepName[];
}

export interface StagesSection {
  stage: StageSpec;
  release?: StageSpec;
}

export interface VerificationPolicy {
  /** Keyless: the certificate's SAN must equal this... */
  identity?: string;
  /** ...or match this regexp (whole value). */
  identityRegexp?: string;
  issuer?: string;
  issuerRegexp?: string;
  /** GitHub workflow claims (certificate extensions) to require, when present. */
  githubWorkflow?: { repository?: string; ref?: string; trigger?: string; sha?: string; name?: string };
  /** Key-signed: PEM public key file (default: the signer's own key). */
  key?: string;
  /** Trusted root for keyless bundles: a file, "public-good" (TUF), or "sandbox" (mock). Wins over tuf. */
  trustedRoot?: string;
  /** A private Sigstore's TUF repository: mirror URL and its root.json (relative to the plan). */
  tuf?: { mirror: string; root: string };
  /** Certificate-signed releases: PEM file of the CA certificates verifiers trust (default: the signer's certificateChain). */
  ca?: string;
  /** Require a transparency-log entry even for key-signed bundles. */
  requireTlog?: boolean;
  /** What the release's SLSA provenance must say. */
  provenance?: { builderId?: string; builderIdRegexp?: string; sourceRepository?: string };
}

/** The plan plus where it came from, after interpolation and defaults. */
export interface ResolvedPlan {
  plan: Plan;
  /** Absolute path of the plan file. */
  file: string;
  /** Directory of the plan file: relative paths in the plan resolve against it. */
  dir: string;
  /** Placeholder values for layouts: version, major, minor, patch, prerelease, name, buildId, plus plan variables. */
  vars: Record<string, string>;
  /** Non-fatal findings (e.g. a literal secret in the plan), for the CLI to print. */
  warnings?: string[];
  /** Whether the build id came from the plan or --build-id (else a run resumes the build it started). */
  buildIdPinned?: boolean;
}

/** Whether a signer presents a certificate from an existing PKI (a key signer with certificate). */
export const isCertified = (spec: SignerSpec | undefined): spec is Exclude<SignerSpec, KeylessSignerSpec> & Required<CertifiedSpec> =>
  !!spec && spec.type !== 'keyless' && !!spec.certificate && !!spec.certificateChain;
