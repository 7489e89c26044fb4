// orel verify-image REF: what an end user runs to check an image's
// cosign-compatible signatures (the `.sig` tag and Sigstore bundle
// referrers), with cosign-like flags.
import type { Command } from 'commander';
import { OrelError } from '@orel/core';
import { RegistryClient, parseImageRef, verifyImage, verifyImageAttestations } from '@orel/oci';
import { printError } from '../output.js';
import { addTrustOptions, namingRoot, policyFrom, readKeyFlag, trustedRootFrom, type TrustFlags } from './trust-flags.js';
import { PREDICATE_TYPES, type LoadedTrustedRoot } from '@orel/verify';

interface VerifyImageFlags extends TrustFlags {
  insecure?: boolean;
  platforms?: boolean;
  type?: string;
}

export async function verifyImageCommand(ref: string, f: VerifyImageFlags): Promise<number> {
  let root: LoadedTrustedRoot | undefined;
  try {
    if (!f.key && !f.certificateIdentity && !f.certificateIdentityRegexp) {
      throw new OrelError('USAGE', 'give --key <cosign.pub>, or --certificate-identity[-regexp] with --certificate-oidc-issuer[-regexp] (and --trusted-root for a private Sigstore)');
    }
    const r = parseImageRef(ref, 'REF');
    const client = new RegistryClient(r.registry, { insecure: f.insecure });
    const publicKeyPem = await readKeyFlag(f);
    // Keyless signatures chain to a trusted root: public-good unless the flags name one.
    root = publicKeyPem && !f.trustedRoot ? undefined : await trustedRootFrom(f);
    const options = {
      client,
      repo: r.repository,
      ref: r.digest ?? r.tag ?? 'latest',
      expectedDigest: r.digest,
      publicKeyPem,
      trustedRoot: root?.json,
      policy: policyFrom(f),
      platforms: f.platforms,
    };
    // --type: the attestations of that predicate type, as cosign verify-attestation checks them.
    const type = f.type === undefined ? undefined : (PREDICATE_TYPES[f.type] ?? f.type);
    const res = type ? await verifyImageAttestations({ ...options, types: [type] }) : await verifyImage(options);
    const ok = res.checks.filter((c) => c.ok);
    if (f.json) process.stdout.write(JSON.stringify(res, null, 2) + '\n');
    else {
      process.stdout.write(`Verified ${r.registry}/${r.repository}@${res.digest}: ${ok.length} valid ${type ? `attestation(s) of type ${type}` : 'signature(s)'}\n`);
      for (const c of ok) process.stdout.write(`  ✓ ${c.digest} ${c.source} ${c.signer ?? ''}\n`);
      for (const c of res.checks.filter((x) => !x.ok)) process.stdout.write(`  ✗ ${c.digest} ${c.source}: ${c.problem}\n`);
    }
    return 0;
  } catch (e) {
    return printError(namingRoot(e, root));
  }
}

export function register(program: Command, run?: (f: () => Promise<number>) => Promise<void>): void {
  const cmd = program
    .command('verify-image')
    .argument('<ref>', 'image reference: registry/repo:tag or registry/repo@sha256:...')
    .description("verify an image's cosign signatures (.sig tag and Sigstore bundle referrers), or with --type its attestations (.att tag and bundle referrers), against a key or an identity");
  addTrustOptions(cmd, 'images')
    .option('--insecure', 'plain HTTP to a non-loopback registry')
    .option('--platforms', 'also require a valid signature on every platform manifest of an index')
    .option('--type <type>', "check attestations instead of signatures, as cosign verify-attestation does: one of this predicate type (slsaprovenance1, spdxjson, cyclonedx..., or a URI) must name the image and verify")
    .action(async (ref: string, _o, cmd: Command) => {
      const f = cmd.optsWithGlobals() as VerifyImageFlags;
      if (run) await run(() => verifyImageCommand(ref, f));
      else process.exitCode = await verifyImageCommand(ref, f);
    });
}
