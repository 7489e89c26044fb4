// orel verify-image REF: what an end user runs to check an image's
// cosign-compatible signatures (the `.sig` tag and Sigstore bundle
// referrers), with cosign-like flags.
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { OrelError } from '@orel/core';
import { RegistryClient, parseImageRef, verifyImage } from '@orel/oci';
import { printError } from '../output.js';

interface VerifyImageFlags {
  key?: string;
  certificateIdentity?: string;
  certificateIdentityRegexp?: string;
  certificateOidcIssuer?: string;
  certificateOidcIssuerRegexp?: string;
  trustedRoot?: string;
  insecure?: boolean;
  platforms?: boolean;
  json?: boolean;
}

async function readJson(file: string, what: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    throw new OrelError('USAGE', `cannot read ${what} ${file}: ${(e as Error).message}`);
  }
}

export async function verifyImageCommand(ref: string, f: VerifyImageFlags): Promise<number> {
  try {
    if (!f.key && !f.trustedRoot) {
      throw new OrelError('USAGE', 'give --key <cosign.pub> or --trusted-root <trusted_root.json> with --certificate-identity[-regexp]');
    }
    const r = parseImageRef(ref, 'REF');
    const client = new RegistryClient(r.registry, { insecure: f.insecure });
    const publicKeyPem = f.key ? await readFile(f.key, 'utf8').catch((e) => Promise.reject(new OrelError('USAGE', `cannot read --key ${f.key}: ${e.message}`))) : undefined;
    const res = await verifyImage({
      client,
      repo: r.repository,
      ref: r.digest ?? r.tag ?? 'latest',
      expectedDigest: r.digest,
      publicKeyPem,
      trustedRoot: f.trustedRoot ? await readJson(f.trustedRoot, '--trusted-root') : undefined,
      policy: {
        identity: f.certificateIdentity,
        identityRegexp: f.certificateIdentityRegexp,
        issuer: f.certificateOidcIssuer,
        issuerRegexp: f.certificateOidcIssuerRegexp,
      },
      platforms: f.platforms,
    });
    const ok = res.checks.filter((c) => c.ok);
    if (f.json) process.stdout.write(JSON.stringify(res, null, 2) + '\n');
    else {
      process.stdout.write(`Verified ${r.registry}/${r.repository}@${res.digest}: ${ok.length} valid signature(s)\n`);
      for (const c of ok) process.stdout.write(`  ✓ ${c.digest} ${c.source} ${c.signer ?? ''}\n`);
      for (const c of res.checks.filter((x) => !x.ok)) process.stdout.write(`  ✗ ${c.digest} ${c.source}: ${c.problem}\n`);
    }
    return 0;
  } catch (e) {
    return printError(e);
  }
}

export function register(program: Command, run?: (f: () => Promise<number>) => Promise<void>): void {
  program
    .command('verify-image')
    .argument('<ref>', 'image reference: registry/repo:tag or registry/repo@sha256:...')
    .description("verify an image's cosign signatures (.sig tag and Sigstore bundle referrers) against a key or an identity")
    .option('--key <file>', 'PEM public key (cosign.pub) for key-signed images')
    .option('--certificate-identity <san>', 'keyless: the certificate SAN must equal this')
    .option('--certificate-identity-regexp <re>', 'keyless: the certificate SAN must match this (whole value)')
    .option('--certificate-oidc-issuer <url>', 'keyless: the OIDC issuer must equal this')
    .option('--certificate-oidc-issuer-regexp <re>', 'keyless: the OIDC issuer must match this (whole value)')
    .option('--trusted-root <file>', 'Sigstore trusted_root.json for keyless signatures')
    .option('--insecure', 'plain HTTP to a non-loopback registry')
    .option('--platforms', 'also require a valid signature on every platform manifest of an index')
    .action(async (ref: string, _o, cmd: Command) => {
      const f = cmd.optsWithGlobals() as VerifyImageFlags;
      if (run) await run(() => verifyImageCommand(ref, f));
      else process.exitCode = await verifyImageCommand(ref, f);
    });
}
