// Container images: resolved to digests and signed at stage time (the stage
// manifest carries ctx.report.images to `release`), promoted by digest with
// their signatures, then verified from the release registries.
import { OrelError, renderTemplate } from '@orel/core';
import { attachAttestation, chainFromTrustedRoot, handleFor, parseImageRef, promoteImage, registryAccess, rekorBundleFromWitnesses, resolveImage, signImage, verifyImage, verifyImageAttestations, type RegistryAccess } from '@orel/oci';
import type { ImageSpec } from '@orel/plan';
import type { Step } from '@orel/pipeline';
import type { Bundle } from '@sigstore/bundle';
import { shardOf } from '../shard.js';
import type { ReleaseContext } from '../context.js';

/** What the stage manifest records per image (ctx.report.images). */
export interface ImageRecord {
  name: string;
  /** The plan's reference as written (tag or digest). */
  ref: string;
  /** registry/repo in the staging registry. */
  repository: string;
  digest: string;
  mediaType: string;
  platforms: { digest: string; platform?: string }[];
  /** Digests carrying our signature (index first), in the repository orel signed in. */
  signed?: { repository: string; digests: string[] };
  /** Predicate types of the attestations attached to the digest (provenance, SBOMs): verified after promotion. */
  attestations?: string[];
  promoted?: { repository: string; tags: Record<string, string> }[];
  verified?: { repository: string; checks: number }[];
}

const access = (ctx: ReleaseContext): RegistryAccess => ctx.registries ?? (defaultAccess ??= registryAccess());
let defaultAccess: RegistryAccess | undefined;

/** The plan's images; a shard signs its part of them (by name, whatever its files' partition). */
const images = (ctx: ReleaseContext): ImageSpec[] => (ctx.rp.plan.images ?? []).filter((i) => !ctx.shard || shardOf(i.name, ctx.shard.count) === ctx.shard.index);

function records(ctx: ReleaseContext): ImageRecord[] {
  return ((ctx.report.images ??= []) as ImageRecord[]);
}

/** The images this run resolved (stage) or the stage manifest recorded (release). */
export const imageRecords = (ctx: ReleaseContext): readonly ImageRecord[] => records(ctx);

/** An image as an in-toto subject: its repository, its manifest digest. */
export const imageSubject = (i: ImageRecord): { name: string; digest: string } => ({ name: i.repository, digest: i.digest });

/** An image as verification expects it among a statement's subjects. */
export const releasedImage = (i: ImageRecord): { name: string; sha256: string } => ({ name: i.repository, sha256: i.digest.replace(/^sha256:/, '') });

/**
 * Attaches a signed attestation to the named images' digests in the staging
 * repository (bundle referrer + `.att` layer, as cosign attest does);
 * promotion copies them with the image. Returns how many images carry it.
 */
export async function attestImages(ctx: ReleaseContext, bundle: Bundle, predicateType: string, names: readonly string[]): Promise<number> {
  const trustedRoot = ctx.trust.trustedRoot;
  const certificateChain = trustedRoot ? (leaf: string) => chainFromTrustedRoot(trustedRoot, leaf) : undefined;
  for (const name of names) {
    const spec = images(ctx).find((i) => i.name === name);
    if (!spec) throw new OrelError('INTERNAL', `image "${name}" is not in the plan`);
    const rec = recordFor(ctx, spec);
    const staging = stagingHandle(ctx, spec, rec.repository);
    await attachAttestation({ client: staging.client, repo: staging.repo, digest: rec.digest, bundle, predicateType, certificateChain });
    upsert(ctx, { ...rec, attestations: [...new Set([...(rec.attestations ?? []), predicateType])] });
  }
  return names.length;
}

function upsert(ctx: ReleaseContext, r: ImageRecord): void {
  const list = records(ctx);
  const i = list.findIndex((x) => x.name === r.name);
  if (i >= 0) list[i] = r;
  else list.push(r);
}

function recordFor(ctx: ReleaseContext, spec: ImageSpec): ImageRecord {
  const r = records(ctx).find((x) => x.name === spec.name);
  if (!r) {
    throw new OrelError('INTEGRITY', `image "${spec.name}" has no staged digest in the stage manifest`, {
      hint: 'run `orel stage` with this plan first: tags are resolved to digests at stage time',
    });
  }
  return r;
}

/** Where orel reads/writes the staged image: the staging repository, or its sandbox stand-in. */
function stagingHandle(ctx: ReleaseContext, spec: ImageSpec, repository: string) {
  return handleFor(access(ctx), access(ctx).map(repository, 'staging'), spec.insecure);
}

export const signImagesStep: Step<ReleaseContext> = {
  name: 'sign-images',
  skip: (ctx) => (images(ctx).length === 0 ? 'the plan lists no images' : undefined),
  async run(ctx) {
    const notes: string[] = [];
    for (const spec of images(ctx)) {
      // Tags are resolved once: a re-run reuses the digest recorded in the journal.
      let rec = ctx.journal.get('resolve-images', spec.name) as ImageRecord | undefined;
      const parsed = parseImageRef(spec.ref, `images[${spec.name}].ref`);
      const real = handleFor(access(ctx), `${parsed.registry}/${parsed.repository}`, spec.insecure);
      if (!rec) {
        const img = await resolveImage(real.client, parsed);
        rec = {
          name: spec.name,
          ref: spec.ref,
          repository: img.repository,
          digest: img.digest,
          mediaType: img.mediaType,
          platforms: img.platforms.map((p) => ({ digest: p.digest, platform: p.platform ? `${p.platform.os}/${p.platform.architecture}${p.platform.variant ? `/${p.platform.variant}` : ''}` : undefined })),
        };
        await ctx.journal.record('resolve-images', spec.name, rec);
      }
      const staging = stagingHandle(ctx, spec, rec.repository);
      if (staging.client.baseUrl !== real.client.baseUrl || staging.repo !== real.repo) {
        // Mock mode: copy the staged image into the sandbox and sign it there.
        await promoteImage({ from: real, to: staging, digest: rec.digest });
      }
      if (!ctx.signer) {
        notes.push(`${spec.name}@${rec.digest} (unsigned: the plan has no signer)`);
        upsert(ctx, rec);
        continue;
      }
      const digests = [rec.digest, ...(spec.signPlatforms ? rec.platforms.map((p) => p.digest) : [])];
      // cosign's keyless `.sig` extras: the Rekor entry of the layer's own
      // signature (logged through the run's witnesses) and the Fulcio chain.
      const rekorBundle = rekorBundleFromWitnesses(ctx.witnesses);
      const trustedRoot = ctx.trust.trustedRoot;
      const certificateChain = trustedRoot ? (leaf: string) => chainFromTrustedRoot(trustedRoot, leaf) : undefined;
      let added = 0;
      for (const digest of digests) {
        const r = await signImage({ client: staging.client, repo: staging.repo, digest, signer: ctx.signer, witnesses: ctx.witnesses, reference: rec.repository, rekorBundle, certificateChain });
        if (r.signature === 'added') added++;
      }
      rec = { ...rec, signed: { repository: `${staging.client.host}/${staging.repo}`, digests } };
      upsert(ctx, rec);
      notes.push(`${spec.name}@${rec.digest.slice(0, 19)} ${added}/${digests.length} signed`);
    }
    return notes.join(', ');
  },
};

export const promoteImagesStep: Step<ReleaseContext> = {
  name: 'promote-images',
  skip: (ctx) =>
    images(ctx).length === 0 ? 'the plan lists no images' : images(ctx).every((i) => !i.promoteTo?.length) ? 'no image lists promoteTo' : undefined,
  async run(ctx) {
    const notes: string[] = [];
    for (const spec of images(ctx).filter((i) => i.promoteTo?.length)) {
      const rec = recordFor(ctx, spec);
      const from = stagingHandle(ctx, spec, rec.repository);
      const tags = (spec.tags ?? []).map((t) => renderTemplate(t, ctx.rp.vars, `images[${spec.name}].tags`));
      const mutable = (spec.mutableTags ?? []).map((t) => renderTemplate(t, ctx.rp.vars, `images[${spec.name}].mutableTags`));
      const promoted: NonNullable<ImageRecord['promoted']> = [];
      for (const dest of spec.promoteTo!) {
        const to = handleFor(access(ctx), access(ctx).map(dest, 'release'), spec.insecure);
        const r = await promoteImage({ from, to, digest: rec.digest, tags, mutableTags: mutable });
        promoted.push({ repository: `${to.client.host}/${to.repo}`, tags: r.tags });
        notes.push(`${to.client.host}/${to.repo}: ${r.manifests.copied} manifests, ${r.blobs.copied + r.blobs.mounted} blobs copied`);
      }
      upsert(ctx, { ...rec, promoted });
    }
    return notes.join('; ');
  },
};

export const verifyImagesStep: Step<ReleaseContext> = {
  name: 'verify-images',
  skip: (ctx) => (images(ctx).length === 0 ? 'the plan lists no images' : ctx.stage === 'stage' ? 'images are verified in the release registries' : !ctx.signer && !ctx.trust.publicKeyPem && !ctx.trust.trustedRoot ? 'nothing to verify images with (no key, no trusted root)' : undefined),
  async run(ctx) {
    const pol = ctx.rp.plan.verification ?? {};
    const policy = { identity: pol.identity, identityRegexp: pol.identityRegexp, issuer: pol.issuer, issuerRegexp: pol.issuerRegexp };
    let checks = 0;
    for (const spec of images(ctx)) {
      const rec = recordFor(ctx, spec);
      const targets = spec.promoteTo?.length ? spec.promoteTo.map((d) => access(ctx).map(d, 'release')) : [access(ctx).map(rec.repository, 'staging')];
      const verified: NonNullable<ImageRecord['verified']> = [];
      for (const repository of targets) {
        const h = handleFor(access(ctx), repository, spec.insecure);
        const r = await verifyImage({
          client: h.client,
          repo: h.repo,
          ref: rec.digest,
          expectedDigest: rec.digest,
          publicKeyPem: ctx.trust.publicKeyPem,
          trustedRoot: ctx.trust.trustedRoot,
          policy,
          platforms: spec.signPlatforms,
        });
        let ok = r.checks.filter((c) => c.ok).length;
        if (rec.attestations?.length) {
          const a = await verifyImageAttestations({ client: h.client, repo: h.repo, ref: rec.digest, expectedDigest: rec.digest, publicKeyPem: ctx.trust.publicKeyPem, trustedRoot: ctx.trust.trustedRoot, policy, types: rec.attestations });
          ok += a.checks.filter((c) => c.ok).length;
        }
        checks += ok;
        verified.push({ repository, checks: ok });
      }
      upsert(ctx, { ...recordFor(ctx, spec), verified });
    }
    return `${checks} image signatures and attestations verified`;
  },
};
