// orel verify-blob FILE: what someone who downloaded one file runs, with
// cosign verify-blob's flags: a Sigstore bundle, a .sig + .cert pair
// (Kubernetes layout), or a .sig and a public key.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { OrelError } from '@orel/core';
import { SANDBOX, loadTrustedRoot, verifyBlob } from '@orel/verify';
import { printError } from '../output.js';

interface VerifyBlobFlags {
  bundle?: string;
  signature?: string;
  certificate?: string;
  key?: string;
  certificateIdentity?: string;
  certificateIdentityRegexp?: string;
  certificateOidcIssuer?: string;
  certificateOidcIssuerRegexp?: string;
  trustedRoot?: string;
  sandbox?: string;
  json?: boolean;
}

export async function verifyBlobCommand(file: string, f: VerifyBlobFlags): Promise<number> {
  try {
    if (!f.bundle && !f.signature) throw new OrelError('USAGE', 'give --bundle <file.sigstore.json>, or --signature <file.sig> with --certificate <file.cert> or --key <cosign.pub>');
    if (f.signature && !f.certificate && !f.key) throw new OrelError('USAGE', '--signature needs --certificate (keyless) or --key (key-signed)');
    const keyless = !f.key;
    // The root is only needed (and only read) when a certificate or log entry must be checked.
    const root = keyless || f.bundle ? await loadTrustedRoot(f.trustedRoot, { sandboxDir: f.trustedRoot === SANDBOX ? resolve(f.sandbox ?? '.orel/sandbox') : undefined }) : undefined;
    const publicKeyPem = f.key ? await readFile(f.key, 'utf8').catch((e) => Promise.reject(new OrelError('USAGE', `cannot read --key ${f.key}: ${e.message}`))) : undefined;
    const res = await verifyBlob({
      name: file,
      file,
      bundle: f.bundle,
      signature: f.signature,
      certificate: f.certificate,
      publicKeyPem,
      trustedRoot: root?.json,
      policy: {
        identity: f.certificateIdentity,
        identityRegexp: f.certificateIdentityRegexp,
        issuer: f.certificateOidcIssuer,
        issuerRegexp: f.certificateOidcIssuerRegexp,
      },
    });
    if (f.json) process.stdout.write(JSON.stringify({ verified: true, file, trustedRoot: root?.source, ...res }, null, 2) + '\n');
    else {
      for (const w of res.warnings) process.stderr.write(`warning: ${w}\n`);
      const who = res.identity ? ` signed by ${res.identity.subjectAlternativeName} (issuer ${res.identity.issuer})` : ' signed by the given key';
      const log = res.tlogEntries ? `, ${res.tlogEntries} transparency-log entr${res.tlogEntries === 1 ? 'y' : 'ies'}` : '';
      process.stdout.write(`Verified OK: ${file}${who}${log}${root ? `; trusted root: ${root.source}` : ''}\n`);
    }
    return 0;
  } catch (e) {
    return printError(e);
  }
}

export function register(program: Command, run?: (f: () => Promise<number>) => Promise<void>): void {
  program
    .command('verify-blob')
    .argument('<file>', 'the downloaded file')
    .description('verify one file against its Sigstore bundle, .sig + .cert pair, or .sig + public key (cosign verify-blob flags)')
    .option('--bundle <file>', 'Sigstore bundle (<file>.sigstore.json)')
    .option('--signature <file>', '<file>.sig: base64 DER signature')
    .option('--certificate <file>', '<file>.cert: base64 of the PEM certificate (keyless)')
    .option('--key <file>', 'PEM public key (cosign.pub) for key-signed files')
    .option('--certificate-identity <san>', 'keyless: the certificate SAN must equal this')
    .option('--certificate-identity-regexp <re>', 'keyless: the certificate SAN must match this (whole value)')
    .option('--certificate-oidc-issuer <url>', 'keyless: the OIDC issuer must equal this')
    .option('--certificate-oidc-issuer-regexp <re>', 'keyless: the OIDC issuer must match this (whole value)')
    .option('--trusted-root <file>', 'trusted_root.json, "public-good" (default, embedded; no network) or "sandbox" (mock mode)')
    .action(async (file: string, _o, cmd: Command) => {
      const f = cmd.optsWithGlobals() as VerifyBlobFlags;
      if (run) await run(() => verifyBlobCommand(file, f));
      else process.exitCode = await verifyBlobCommand(file, f);
    });
}
