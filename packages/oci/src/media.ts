// Media types and annotation keys of the OCI image spec, Docker's v2 schema
// and cosign (DESIGN.md §3).

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
export const DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
export const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
export const OCI_EMPTY = 'application/vnd.oci.empty.v1+json';

/** docker-registry 2.8 answers 404 to manifest GETs without an OCI Accept header. */
export const MANIFEST_ACCEPT = [OCI_INDEX, OCI_MANIFEST, DOCKER_LIST, DOCKER_MANIFEST].join(', ');

export const COSIGN_SIMPLESIGNING = 'application/vnd.dev.cosign.simplesigning.v1+json';
export const ANN_SIGNATURE = 'dev.cosignproject.cosign/signature';
export const ANN_CERTIFICATE = 'dev.sigstore.cosign/certificate';
export const ANN_CHAIN = 'dev.sigstore.cosign/chain';
export const ANN_BUNDLE = 'dev.sigstore.cosign/bundle';

export const SIGSTORE_BUNDLE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
export const ANN_BUNDLE_CONTENT = 'dev.sigstore.bundle.content';
export const ANN_BUNDLE_PREDICATE = 'dev.sigstore.bundle.predicateType';
export const ANN_CREATED = 'org.opencontainers.image.created';
export const ANN_TITLE = 'org.opencontainers.image.title';
/** The in-toto predicate cosign v3 signs for `cosign sign` with the new bundle format. */
export const COSIGN_SIGN_PREDICATE = 'https://sigstore.dev/cosign/sign/v1';
export const INTOTO_PAYLOAD = 'application/vnd.in-toto+json';
/** cosign attest's `.att` layers: a DSSE envelope each, its predicate type annotated. */
export const DSSE_ENVELOPE = 'application/vnd.dsse.envelope.v1+json';
export const ANN_PREDICATE_TYPE = 'predicateType';

export const isIndex = (mt: string | undefined): boolean => mt === OCI_INDEX || mt === DOCKER_LIST;
export const isImageManifest = (mt: string | undefined): boolean => mt === OCI_MANIFEST || mt === DOCKER_MANIFEST;

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
  platform?: Platform;
  urls?: string[];
}

export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
  'os.version'?: string;
}

export interface ImageManifest {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  config: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

export interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  manifests: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

/** `sha256:abc` → `sha256-abc`: the cosign `.sig` tag stem and the referrers fallback tag. */
export const digestTag = (digest: string): string => digest.replace(':', '-');
export const sigTag = (digest: string): string => `${digestTag(digest)}.sig`;
/** cosign's attestation tag. */
export const attTag = (digest: string): string => `${digestTag(digest)}.att`;
