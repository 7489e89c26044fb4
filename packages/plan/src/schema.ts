// JSON Schema (draft-07) of the release plan: the same shape as types.ts.
// Editors read the descriptions; loadPlan validates with it (ajv). Every
// object is closed (additionalProperties: false) so a typo is an error, not
// a silently ignored key. "x-expected" is our annotation: the wording used in
// error messages when a pattern does not match.
import { NAME_TEMPLATE_RE, NAMING_PRESET_NAMES, SHARED_NAME_RE } from './signing-names.js';

export const ARTIFACT_KINDS = [
  'binary', 'archive', 'sbom', 'provenance', 'other', 'checksum', 'signature',
  'certificate', 'bundle', 'public-key', 'manifest', 'notes', 'attestation', 'image',
] as const;
export const SET_KINDS = ['binary', 'archive', 'sbom', 'provenance', 'other'] as const;
export const STEP_NAMES = [
  'discover', 'check-rehearsal', 'checksum', 'preflight', 'sign', 'publish', 'record', 'verify', 'check-staged', 'promote',
  'sign-images', 'promote-images', 'verify-images', 'notes', 'markers', 'finalize', 'provenance', 'attest-sboms',
] as const;
export const CHECKSUM_ALGORITHMS = ['sha256', 'sha512'] as const;
export const SIGN_OUTPUTS = ['bundle', 'sig', 'cert'] as const;
export const SIGNER_TYPES = ['key', 'kms', 'pkcs11', 'keyless'] as const;
export const PRESETS = ['dl.k8s.io', 'flat'] as const;

/** Semantic version with an optional leading "v" (semver.org's regexp). */
export const SEMVER_RE =
  /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

const NAME = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$', 'x-expected': 'a name of letters, digits, ".", "_" or "-"' };
/** A value that becomes one path segment: no "/", no "..", no leading dot or dash, at most 100 characters. */
export const SEGMENT = { pattern: '^[A-Za-z0-9][A-Za-z0-9._+-]{0,99}$', 'x-expected': 'a name of letters, digits, ".", "_", "+" or "-" (at most 100, starting with a letter or digit)' };
export const SEGMENT_RE = new RegExp(SEGMENT.pattern);
const str = (description: string, extra: Record<string, unknown> = {}) => ({ type: 'string', description, ...extra });
const bool = (description: string) => ({ type: 'boolean', description });
const concurrency = (description: string) => ({ type: 'integer', minimum: 1, maximum: 256, description });
const strList = (description: string, items: Record<string, unknown> = { type: 'string', minLength: 1 }) => ({
  type: 'array', items, description,
});
const closed = (description: string, properties: Record<string, unknown>, required: string[] = []) => ({
  type: 'object', description, additionalProperties: false, required, properties,
});
const secret = (description: string) =>
  str(`${description} Write \${env:NAME}; it is read only when the adapter is built (never in mock mode).`);

const signer = (type: string, description: string, properties: Record<string, unknown>, required: string[]) =>
  closed(description, { type: { const: type, description: `Signer type: ${type}.` }, ...properties }, ['type', ...required]);

const certified = {
  certificate: str('PEM certificate a corporate CA issued for this signer\'s key (its SAN is the identity users check); relative to the plan. Outputs then carry it, as keyless ones carry Fulcio\'s.', { minLength: 1 }),
  certificateChain: str('PEM file of the issuing CAs, intermediates first and the root last (cosign\'s --certificate-chain); relative to the plan.', { minLength: 1 }),
};

const signerSchema = {
  type: 'object',
  description: 'A signer; "type" picks the kind: key, kms, pkcs11 or keyless.',
  discriminator: { propertyName: 'type' },
  oneOf: [
    signer('key', 'Key-file signer (PEM PKCS#8 EC P-256 or a cosign encrypted key).', {
      key: str('Private key file, relative to the plan.', { minLength: 1 }),
      password: secret('Password of an encrypted key.'),
      ...certified,
    }, ['key']),
    signer('kms', 'Google Cloud KMS asymmetric signing key.', {
      key: str('gcpkms://projects/P/locations/L/keyRings/R/cryptoKeys/K[/cryptoKeyVersions/V]', {
        pattern: '^gcpkms://projects/[^/]+/locations/[^/]+/keyRings/[^/]+/cryptoKeys/[^/]+(/cryptoKeyVersions/[^/]+)?$',
        'x-expected': 'gcpkms://projects/P/locations/L/keyRings/R/cryptoKeys/K[/cryptoKeyVersions/V]',
      }),
      endpoint: str('host:port of a private or test KMS endpoint.'),
      insecure: bool('Plaintext gRPC; honoured only for loopback endpoints.'),
      ...certified,
    }, ['key']),
    signer('pkcs11', 'PKCS#11 token (HSM, SoftHSM).', {
      uri: str('RFC 7512 URI, e.g. pkcs11:token=release;object=signing-key', {
        pattern: '^pkcs11:', 'x-expected': 'an RFC 7512 URI starting with "pkcs11:"',
      }),
      module: str('Path of the PKCS#11 module (.so).', { minLength: 1 }),
      pin: secret('User PIN.'),
      ...certified,
    }, ['uri', 'module']),
    signer('keyless', 'Keyless Sigstore signing (Fulcio certificate, Rekor entry).', {
      signingConfig: str('Where the service URLs come from: "public-good" (Sigstore\'s TUF repository; default), "sandbox" (mock mode), a signing_config.v0.2.json file, or "tuf" (the TUF mirror of verification.tuf). fulcio/rekor/tsa below win over it.', { minLength: 1 }),
      rekorVersion: { enum: [1, 2], description: 'Rekor API version to log with: 1 (default) or 2 (rekor-tiles; needs a timestamp authority, from tsa or the signing config).' },
      fulcio: str('Fulcio base URL (default: from the signing config).'),
      rekor: str('Rekor base URL (default: from the signing config).'),
      tsa: str('RFC 3161 timestamp authority URL (default: from the signing config when rekorVersion is 2).'),
      identityToken: secret('OIDC identity token.'),
      identityTokenFile: str('File holding the OIDC identity token.'),
    }, []),
  ],
};

const layoutSchema = {
  type: 'object',
  description: 'Object-key templates by artifact kind ({version}, {name}, {os}, {arch}, ...); "default" for the other kinds.',
  additionalProperties: false,
  properties: Object.fromEntries(
    [...ARTIFACT_KINDS, 'default'].map((k) => [k, str(k === 'default' ? 'Layout for kinds without their own entry.' : `Layout for ${k} artifacts.`, { minLength: 1 })]),
  ),
};

const stageSpec = (description: string) =>
  closed(description, {
    targets: { ...strList('Targets (by name) this stage publishes to.', { type: 'string', minLength: 1 }), minItems: 1 },
    steps: strList('Ordered steps (default: the built-in list for the stage).', {
      type: 'string', enum: [...STEP_NAMES],
    }),
  }, ['targets']);

export const planSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://orel.dev/schemas/plan-v1.json',
  title: 'orel release plan',
  ...closed('An orel release plan.', {
    apiVersion: { const: 'orel.dev/v1', description: 'Plan format version: orel.dev/v1.' },
    release: closed('What is released.', {
      // Names and build ids become path segments (state, sandbox, layouts): a strict pattern keeps them inside.
      name: str('Release name (the {name} of ${name} interpolation).', { ...SEGMENT }),
      version: str('Semantic version, e.g. 1.2.0 or v1.2.0-rc.1 (a leading "v" is stripped in {version}).', {
        pattern: SEMVER_RE.source, 'x-expected': 'a semantic version such as 1.2.0 or v1.2.0-rc.1',
      }),
      prerelease: bool('Marks a pre-release (default: true when the version has a pre-release part).'),
      buildId: str('Identifies one build when staging several times (default: a UTC timestamp).', { ...SEGMENT }),
    }, ['name', 'version']),
    variables: {
      type: 'object',
      description: 'Free variables, usable as ${name} in strings and {name} in layouts.',
      propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
      additionalProperties: { type: 'string', description: 'Variable value (may use ${env:NAME} and earlier variables).' },
    },
    artifacts: closed('The build output to release.', {
      root: str('Directory holding the build output, relative to the plan file (GoReleaser: its dist directory).', { minLength: 1 }),
      concurrency: concurrency('Files read in parallel (default 8).'),
      from: { type: 'string', enum: ['goreleaser', 'krel'], description: 'Take the artifact list a build tool wrote: goreleaser reads artifacts.json (binaries, archives, packages, SBOMs with os/arch and recorded sha256) and metadata.json (the version) under root; krel reads a copy of its stage/<build-version>/ (the plan version\'s gcs-stage/: tarballs, bin/<os>/<arch>/ binaries, SPDX, each checked against krel\'s SHA256SUMS; src.tar.gz).' },
      sets: {
        type: 'array', minItems: 1, description: 'Named groups of artifacts.',
        items: closed('A named group of artifacts of one kind.', {
          name: { ...NAME, description: 'Set name (unique).' },
          kind: { type: 'string', enum: [...SET_KINDS], description: 'Artifact kind of every file in the set.' },
          include: { ...strList('Globs relative to the root.'), minItems: 1 },
          exclude: strList('Globs to leave out.'),
          pattern: str('Path pattern extracting {os}, {arch}, ... from the relative path, e.g. "bin/{os}/{arch}/{file}".'),
          rename: str('Destination name template (default "{file}"), e.g. "{file}-{os}-{arch}".'),
          optional: bool('Allow the globs to match nothing.'),
        }, ['name', 'kind', 'include']),
      },
    }, ['root']),
    images: {
      type: 'array', description: 'Container images to sign and promote.',
      items: closed('A staged container image.', {
        name: { ...NAME, description: 'Logical name used in reports and layouts.' },
        ref: str('Staging reference: registry/repo:tag or registry/repo@sha256:...', {
          pattern: '^[^\\s/]+(/[^\\s/]+)+(:[^\\s/@]+)?(@sha256:[0-9a-f]{64})?$',
          'x-expected': 'an image reference registry/repo:tag or registry/repo@sha256:<64 hex>',
        }),
        signPlatforms: bool('Also sign every platform manifest of a multi-arch index.'),
        promoteTo: strList('Release repositories (registry/repo, no tag).'),
        tags: strList('Tags applied in release repositories (templated, e.g. "v{version}").'),
        mutableTags: strList('Tags that may move (like "latest").'),
        insecure: bool('Plain HTTP for this registry (loopback registries only, or when asked).'),
      }, ['name', 'ref']),
    },
    checksums: closed('Checksum files to produce.', {
      files: {
        type: 'array', description: 'Aggregate checksum files in coreutils format ("<hex>  <name>").',
        items: closed('An aggregate checksum file.', {
          name: str('File name, e.g. SHA256SUMS or checksums.txt.', { minLength: 1 }),
          algorithm: { type: 'string', enum: [...CHECKSUM_ALGORITHMS], description: 'Digest algorithm.' },
        }, ['name', 'algorithm']),
      },
      perFile: strList('Per-file <name>.sha256 / <name>.sha512 (dl.k8s.io layout).', {
        type: 'string', enum: [...CHECKSUM_ALGORITHMS],
      }),
    }),
    signers: {
      type: 'object',
      description: 'Named signers; signing.signer picks one.',
      propertyNames: { pattern: NAME.pattern },
      additionalProperties: signerSchema,
    },
    signing: closed('How artifacts are signed.', {
      signer: str('Name of the signer under "signers".', { minLength: 1 }),
      what: { type: 'string', enum: ['artifacts', 'checksums'], description: 'Sign every artifact, or only the aggregate checksum files.' },
      outputs: {
        ...strList('bundle: <file>.sigstore.json; sig: <file>.sig (base64 DER); cert: <file>.cert (keyless, or a signer with a certificate).', {
          type: 'string', enum: [...SIGN_OUTPUTS],
        }),
        minItems: 1, uniqueItems: true,
      },
      naming: { type: 'string', enum: [...NAMING_PRESET_NAMES], description: 'How the outputs are named: kubernetes (<file>.sig, <file>.cert; default), cosign (<file>.sig, <file>.pem, as cosign --output-certificate, GoReleaser, Flux and Carvel name them) or spin (<file>.sig and one crt.pem, the certificate every signature was made under).' },
      names: closed('Per-output names, winning over naming: a template "{file}<suffix>" (e.g. cert: "{file}.crt"), or for cert one shared file name (e.g. "crt.pem").', Object.fromEntries(SIGN_OUTPUTS.map((o) => [o, o === 'cert'
        ? str('Name of the cert output: "{file}" then a suffix, or one file name every signature shares.', { pattern: `${NAME_TEMPLATE_RE.source}|${SHARED_NAME_RE.source}`, 'x-expected': 'a template "{file}<suffix>" (e.g. "{file}.pem") or one file name with no "/" (e.g. "crt.pem")' })
        : str(`Name of the ${o} output: "{file}" then a suffix.`, { pattern: NAME_TEMPLATE_RE.source, 'x-expected': 'a template "{file}<suffix>", e.g. "{file}.sig" (a signature is named after the file it signs)' })]))),
      transparencyLog: bool('Upload key-signed entries to Rekor as well (keyless always does); verification then requires them.'),
      rekor: str('Rekor URL for key-signed entries (default: public-good Rekor; mock mode: the sandbox Rekor).', { pattern: '^https?://' }),
      concurrency: concurrency('Signatures in flight (default 32 when each waits on a transparency log, keyless or transparencyLog; else 8).'),
    }, ['signer', 'what', 'outputs']),
    targets: {
      type: 'array', minItems: 1, description: 'Where artifacts are published.',
      items: closed('A publishing target.', {
        name: { ...NAME, description: 'Target name (unique), used by stages and markers.' },
        url: str('file://PATH (relative to the plan), gs://BUCKET/PREFIX or github://OWNER/REPO (images go under images:, not targets).', {
          pattern: '^(file://.+|gs://[a-z0-9][a-z0-9._-]*[a-z0-9](/.*)?|github://[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+)$',
          'x-expected': 'a URL file://PATH, gs://BUCKET[/PREFIX], or github://OWNER/REPO (images go under images:)',
        }),
        layout: layoutSchema,
        preset: { type: 'string', enum: [...PRESETS], description: 'A built-in layout.' },
        endpoint: str('Private or test endpoint (GCS JSON API base URL, GitHub API base URL).'),
        token: secret('Secret for the target (GitHub token).'),
        tag: str('GitHub: tag to release (default "v{version}").'),
        title: str('GitHub: release title template.'),
        body: str('GitHub: release body template.'),
        replaceDraftAssets: bool('GitHub: on a draft, replace an asset whose bytes differ (never on a published release).'),
        publicUrl: str('Public download URL template ("https://dl.example.org/{path}") used by verify.'),
        concurrency: concurrency('Parallel uploads (default 8; GitHub is paced regardless).'),
      }, ['name', 'url']),
    },
    markers: closed('Version marker files, written last, after verification passed.', {
      targets: strList('Target names that receive markers (default: every release target that supports it).'),
      files: { ...strList('Marker file names (templated): stable.txt, latest-{major}.{minor}.txt'), minItems: 1 },
    }, ['files']),
    stages: closed('Targets and steps of `orel stage` and `orel release`.', {
      stage: stageSpec('`orel stage`: sign and publish to staging.'),
      release: stageSpec('`orel release`: promote, verify and finalize.'),
    }, ['stage', 'release']),
    verification: closed('What verification requires of signatures.', {
      identity: str('Keyless: the certificate SAN must equal this...'),
      identityRegexp: str('...or match this regexp (whole value).'),
      issuer: str('Keyless: the OIDC issuer must equal this...'),
      issuerRegexp: str('...or match this regexp (whole value).'),
      githubWorkflow: closed('GitHub workflow claims (certificate extensions) to require, when present.', {
        repository: str('Workflow repository (owner/repo).'),
        ref: str('Workflow ref (refs/tags/v1.2.0).'),
        trigger: str('Workflow trigger event (push, workflow_dispatch...).'),
        sha: str('Workflow commit SHA.'),
        name: str('Workflow name.'),
      }),
      key: str('Key-signed: PEM public key file (default: the signer\'s own key).'),
      trustedRoot: str('Trusted root for keyless bundles: a file, "public-good" (Sigstore\'s TUF repository) or "sandbox". Wins over tuf.'),
      tuf: closed('A private Sigstore\'s TUF repository (as cosign initialize --mirror --root): its trusted_root.json and signing_config.v0.2.json.', {
        mirror: str('The repository URL.', { pattern: '^https?://', 'x-expected': 'an http(s) URL' }),
        root: str('Its root.json, relative to the plan (trusted on first use).', { minLength: 1 }),
      }, ['mirror', 'root']),
      ca: str('Certificate-signed releases (a signer with certificate): PEM file of the CA certificates verifiers trust, relative to the plan (default: the signer\'s certificateChain).', { minLength: 1 }),
      requireTlog: bool('Require a transparency-log entry even for key-signed bundles.'),
      provenance: closed('What the release\'s SLSA provenance must say (checked by verify, not a warning).', {
        builderId: str('runDetails.builder.id must equal this (e.g. https://github.com/example/hello/.github/workflows/release.yml@refs/tags/v1.2.0).'),
        builderIdRegexp: str('...or match this regexp (whole value).'),
        sourceRepository: str('The repository the release was built from (https://github.com/example/hello): the provenance\'s resolvedDependencies must name it.'),
      }),
    }),
    attestations: closed('Attestations orel makes and signs with the plan\'s signer.', {
      provenance: bool('A SLSA v1 provenance for the release (<name>-<version>.intoto.sigstore.json, a DSSE Sigstore bundle): every released file and image as a subject, the CI run and the plan\'s digest; verification requires it to cover every artifact.'),
      sboms: {
        description:
          'Attest every SBOM the build produced (SPDX 2.3 / 3.0.1, CycloneDX 1.5-1.7 JSON, found by content; validated against their published schemas first): <sbom>.intoto.sigstore.json binds it to what it describes. true: an SBOM named after a file (x.tar.gz.spdx.json) describes that file, any other the whole release. A list binds SBOMs explicitly; SBOMs it does not name fall back to true\'s rule.',
        oneOf: [
          { type: 'boolean' },
          {
            type: 'array',
            minItems: 1,
            items: closed('What one SBOM describes.', {
              file: str('The SBOM\'s release name, or a glob over release names.', { minLength: 1 }),
              describes: { type: 'array', items: { type: 'string', minLength: 1 }, description: 'Globs over the release names of the files it describes.' },
              images: { type: 'array', items: NAME, description: 'Names of plan images it describes: the attestation is attached to each (as cosign attest does) and promoted with it.' },
            }, ['file']),
          },
        ],
      },
    }),
    sandbox: closed('Mock mode\'s sandbox.', {
      dir: str('Sandbox directory (default .orel/sandbox next to the plan).'),
    }),
  }, ['apiVersion', 'release', 'targets', 'stages']),
};
