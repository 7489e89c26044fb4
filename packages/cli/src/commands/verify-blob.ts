// orel verify-blob FILE: what someone who downloaded one file runs, with
// cosign verify-blob's flags: a Sigstore bundle, a .sig + .cert pair
// (Kubernetes layout), or a .sig and a public key.
import type { Command } from 'commander';
import { OrelError } from '@orel/core';
import { existsSync } from 'node:fs';
import { RemoteInputs } from './remote-input.js';
import { DEFAULT_REKOR_URL } from '@orel/sign';
import { SANDBOX_LOG_ORIGIN, serveSandboxLog } from '@orel/sandbox';
import { verifyBlob, type LoadedTrustedRoot } from '@orel/verify';
import { dirname } from 'node:path';
import { printError } from '../output.js';
import { addTrustOptions, namingRoot, policyFrom, readKeyFlag, trustedRootFrom, type TrustFlags } from './trust-flags.js';
import { readJsonFile } from '../trust-options.js';

interface VerifyBlobFlags extends TrustFlags {
  bundle?: string;
  signature?: string;
  certificate?: string;
  rekorUrl?: string;
  rekorBundle?: string;
  rfc3161Timestamp?: string;
  insecureIgnoreTlog?: boolean;
  offline?: boolean;
  type?: string;
}

/**
 * Where a .sig + .cert pair's log entry is searched, as cosign does: --rekor-url,
 * else the log of the trusted root (public-good: rekor.sigstore.dev; the
 * sandbox's log is served from its directory while the command runs).
 */
async function rekorFor(f: VerifyBlobFlags, root: LoadedTrustedRoot | undefined): Promise<{ url?: string; close?: () => Promise<void> }> {
  if (!f.certificate || f.rekorBundle || f.rfc3161Timestamp || f.insecureIgnoreTlog) return {};
  if (f.rekorUrl) return { url: f.rekorUrl };
  if (f.offline || !root) return {};
  if (!root.file) return { url: DEFAULT_REKOR_URL };
  const tlogs = ((root.json as { tlogs?: { baseUrl?: string }[] }).tlogs ?? []).map((t) => t.baseUrl).filter((u): u is string => !!u);
  if (tlogs.includes(SANDBOX_LOG_ORIGIN)) return serveSandboxLog(dirname(root.file));
  return { url: tlogs[0] };
}

export async function verifyBlobCommand(file: string, f: VerifyBlobFlags): Promise<number> {
  const remote = new RemoteInputs();
  let rekor: Awaited<ReturnType<typeof rekorFor>> = {};
  let root: LoadedTrustedRoot | undefined;
  try {
    if (!f.bundle && !f.signature) throw new OrelError('USAGE', 'give --bundle <file.sigstore.json>, or --signature <file.sig> with --certificate <file.cert> or --key <cosign.pub>');
    if (f.signature && !f.certificate && !f.key) throw new OrelError('USAGE', '--signature needs --certificate (keyless) or --key (key-signed)');
    const keyless = !f.key;
    // The root is only needed (and only read) when a certificate or log entry must be checked.
    // A key-signed bundle needs a root only for its log entries: then the cached or embedded one, no network.
    root = keyless || f.bundle ? await trustedRootFrom(f, f.offline || !keyless) : undefined;
    const publicKeyPem = await readKeyFlag(f);
    // The digest form (cosign, the conformance protocol): sha256:<hex> instead of a file.
    const digest = /^sha256:[0-9a-f]{64}$/.test(file) && !existsSync(file) ? file : undefined;
    rekor = await rekorFor(f, root);
    const res = await verifyBlob({
      name: file,
      ...(digest ? { sha256: digest } : { file: await remote.local(file) }),
      bundle: await remote.local(f.bundle),
      signature: await remote.local(f.signature),
      certificate: await remote.local(f.certificate),
      publicKeyPem,
      trustedRoot: root?.json,
      policy: policyFrom(f),
      rekorUrl: rekor.url,
      rekorBundle: f.rekorBundle ? await readJsonFile((await remote.local(f.rekorBundle))!, '--rekor-bundle') : undefined,
      rfc3161Timestamp: f.rfc3161Timestamp ? await readJsonFile((await remote.local(f.rfc3161Timestamp))!, '--rfc3161-timestamp') : undefined,
      insecureIgnoreTlog: f.insecureIgnoreTlog,
      predicateType: f.type,
    });
    if (f.json) process.stdout.write(JSON.stringify({ verified: true, file, trustedRoot: root?.source, ...res }, null, 2) + '\n');
    else {
      for (const w of res.warnings) process.stderr.write(`warning: ${w}\n`);
      const who = res.identity ? ` signed by ${res.identity.subjectAlternativeName} (issuer ${res.identity.issuer})` : ' signed by the given key';
      const log = res.tlogEntry
        ? `, transparency-log entry ${res.tlogEntry.uuid ? `${res.tlogEntry.uuid} ` : ''}at index ${res.tlogEntry.logIndex}`
        : res.tlogEntries
          ? `, ${res.tlogEntries} transparency-log entr${res.tlogEntries === 1 ? 'y' : 'ies'}`
          : res.timestamps
            ? `, ${res.timestamps} RFC 3161 timestamp${res.timestamps === 1 ? '' : 's'}`
            : '';
      process.stdout.write(`Verified OK: ${file}${who}${log}${root ? `; trusted root: ${root.source}` : ''}\n`);
    }
    return 0;
  } catch (e) {
    return printError(namingRoot(e, root));
  } finally {
    await rekor.close?.();
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
    .option('--certificate <file>', '<file>.cert: base64 of the PEM certificate, keyless (a path or an https:// URL)')
    .option('--rekor-url <url>', "with --certificate: the Rekor to find the pair's log entry in (default: the trusted root's log)")
    .option('--rekor-bundle <file>', "with --certificate: the pair's Rekor entry as a file (<file>.rekor), instead of searching the log")
    .option('--rfc3161-timestamp <file>', 'with --certificate: an RFC 3161 timestamp over the signature (cosign\'s JSON file), instead of a log entry')
    .option('--offline', 'no network: never contact a transparency log (a .sig + .cert pair then needs --rekor-bundle), and read the public-good trusted root from the TUF cache or the embedded seed')
    .option('--type <type>', "with an attestation bundle: its predicate type must be this (cosign's names: slsaprovenance1, spdxjson, cyclonedx..., or a URI); the file must be one of its subjects")
    .option('--insecure-ignore-tlog', 'accept a .sig + .cert pair without a transparency-log entry (not recommended: prints a warning)');
  addTrustOptions(cmd, 'files').action(async (file: string, _o, cmd: Command) => {
      const f = cmd.optsWithGlobals() as VerifyBlobFlags;
      if (run) await run(() => verifyBlobCommand(file, f));
      else process.exitCode = await verifyBlobCommand(file, f);
    });
}
