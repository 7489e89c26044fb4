// orel verify-blob FILE: what someone who downloaded one file runs, with
// cosign verify-blob's flags: a Sigstore bundle, a .sig + .cert pair
// (Kubernetes layout), or a .sig and a public key.
import type { Command } from 'commander';
import { OrelError } from '@orel/core';
import { existsSync } from 'node:fs';
import { RemoteInputs } from './remote-input.js';
import { verifyBlob } from '@orel/verify';
import { printError } from '../output.js';
import { addTrustOptions, policyFrom, readKeyFlag, trustedRootFrom, type TrustFlags } from './trust-flags.js';

interface VerifyBlobFlags extends TrustFlags {
  bundle?: string;
  signature?: string;
  certificate?: string;
}

export async function verifyBlobCommand(file: string, f: VerifyBlobFlags): Promise<number> {
  const remote = new RemoteInputs();
  try {
    if (!f.bundle && !f.signature) throw new OrelError('USAGE', 'give --bundle <file.sigstore.json>, or --signature <file.sig> with --certificate <file.cert> or --key <cosign.pub>');
    if (f.signature && !f.certificate && !f.key) throw new OrelError('USAGE', '--signature needs --certificate (keyless) or --key (key-signed)');
    const keyless = !f.key;
    // The root is only needed (and only read) when a certificate or log entry must be checked.
    const root = keyless || f.bundle ? await trustedRootFrom(f) : undefined;
    const publicKeyPem = await readKeyFlag(f);
    // The digest form (cosign, the conformance protocol): sha256:<hex> instead of a file.
    const digest = /^sha256:[0-9a-f]{64}$/.test(file) && !existsSync(file) ? file : undefined;
    const res = await verifyBlob({
      name: file,
      ...(digest ? { sha256: digest } : { file: await remote.local(file) }),
      bundle: await remote.local(f.bundle),
      signature: await remote.local(f.signature),
      certificate: await remote.local(f.certificate),
      publicKeyPem,
      trustedRoot: root?.json,
      policy: policyFrom(f),
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
  } finally {
    await remote.close();
  }
}

export function register(program: Command, run?: (f: () => Promise<number>) => Promise<void>): void {
  const cmd = program
    .command('verify-blob')
    .argument('<file>', 'the downloaded file, its https:// URL, or its digest as sha256:<hex>')
    .description('verify one file against its Sigstore bundle, .sig + .cert pair, or .sig + public key (cosign verify-blob flags)')
    .option('--bundle <file>', 'Sigstore bundle (<file>.sigstore.json), a path or an https:// URL')
    .option('--signature <file>', '<file>.sig: base64 DER signature (a path or an https:// URL)')
    .option('--certificate <file>', '<file>.cert: base64 of the PEM certificate, keyless (a path or an https:// URL)');
  addTrustOptions(cmd, 'files').action(async (file: string, _o, cmd: Command) => {
      const f = cmd.optsWithGlobals() as VerifyBlobFlags;
      if (run) await run(() => verifyBlobCommand(file, f));
      else process.exitCode = await verifyBlobCommand(file, f);
    });
}
