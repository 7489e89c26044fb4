// orel policy: the admission policies that let a cluster run the plan's
// images only when this release signed them (Kyverno, sigstore
// policy-controller, OpenShift), from the plan's verification identity or
// key and the Sigstore it trusts. Mock mode writes them for the sandbox's
// keys (what `orel release` signed with there); --nomock for the real ones.
import { OrelError } from '@orel/core';
import { writeFileAtomic } from '@orel/manifest';
import { parseImageRef, repoName } from '@orel/oci';
import { isCertified, loadPlan, type ResolvedPlan } from '@orel/plan';
import { POLICY_FILES, POLICY_FORMATS, policyYaml, sigstoreTrust, UnexpressiblePolicyError, type CaSigner, type PolicyFormat, type PolicyInput } from '@orel/policy';
import { isSelfSigned, parseCertificates } from '@orel/sign';
import { loadTrustedRoot, SANDBOX } from '@orel/verify';
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { sandboxDirFor, type GlobalOptions } from '../compose.js';
import { planTuf, SANDBOX_IDENTITY, SANDBOX_ISSUER } from '../keyless-setup.js';
import { printError } from '../output.js';
import { tufOptions } from '../trust-options.js';

interface PolicyOptions extends GlobalOptions {
  format?: string;
  output?: string;
}

function formatsOf(flag: string | undefined): PolicyFormat[] {
  if (!flag) return [...POLICY_FORMATS];
  const asked = flag.split(',').map((f) => f.trim()).filter(Boolean);
  const unknown = asked.filter((f) => !(POLICY_FORMATS as readonly string[]).includes(f));
  if (unknown.length || asked.length === 0) throw new OrelError('USAGE', `--format ${flag}: no format ${unknown.map((u) => JSON.stringify(u)).join(', ') || 'given'}`, { hint: `one or more of: ${POLICY_FORMATS.join(', ')}` });
  return asked as PolicyFormat[];
}

/** The release repositories of the plan's images, each with the repository its signatures name (the staging one). */
function repositoriesOf(rp: ResolvedPlan): PolicyInput['repositories'] {
  return (rp.plan.images ?? []).flatMap((img, i) => {
    const signedAs = repoName(parseImageRef(img.ref, `${rp.file}: images[${i}].ref`));
    const released = img.promoteTo?.length ? img.promoteTo.map((r, j) => repoName(parseImageRef(r, `${rp.file}: images[${i}].promoteTo[${j}]`))) : [signedAs];
    return released.map((repository) => ({ repository, signedAs }));
  });
}

/**
 * A CA-certified signer: the CA certificates verification trusts
 * (verification.ca, else the signer's chain; mock mode: the sandbox CA),
 * split into self-signed roots and intermediates as OpenShift wants them.
 */
async function caSigner(rp: ResolvedPlan, chainFile: string, sandboxRoot: string | undefined, missingSandbox: (what: string) => OrelError): Promise<{ signer: CaSigner; file: string }> {
  if (sandboxRoot && !existsSync(sandboxRoot)) throw missingSandbox('CA');
  const file = sandboxRoot ?? resolve(rp.dir, rp.plan.verification?.ca ?? chainFile);
  const text = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
    throw new OrelError('USAGE', `cannot read the CA certificates ${file}: ${e.code ?? e.message}`, { cause: e });
  });
  const certs = parseCertificates(text, file);
  if (!certs.some(isSelfSigned)) throw new OrelError('PLAN_INVALID', `${file} holds no self-signed root CA certificate`, { hint: 'admission controllers anchor trust in the root: list the chain up to the root (verification.ca or certificateChain)' });
  const v = rp.plan.verification ?? {};
  const signer: CaSigner = {
    kind: 'ca',
    identity: v.identity,
    identityRegexp: v.identity ? undefined : v.identityRegexp,
    issuer: v.issuer,
    issuerRegexp: v.issuer ? undefined : v.issuerRegexp,
    rootsPem: certs.filter(isSelfSigned).map((c) => c.toString()).join(''),
    intermediatesPem: certs.filter((c) => !isSelfSigned(c)).map((c) => c.toString()).join(''),
  };
  return { signer, file };
}

async function policyInput(rp: ResolvedPlan, mock: boolean, sandboxDir: string): Promise<PolicyInput> {
  const name = rp.plan.signing?.signer;
  const spec = name ? rp.plan.signers?.[name] : undefined;
  if (!spec) throw new OrelError('PLAN_INVALID', `${rp.file}: no signer (signing.signer names one of signers)`, { hint: 'admission policies check the signatures of the plan’s signer' });
  const v = rp.plan.verification ?? {};
  const keyless = spec.type === 'keyless';
  const logged = keyless || rp.plan.signing?.transparencyLog === true;
  const missingSandbox = (what: string) =>
    new OrelError('USAGE', `mock mode: the sandbox has no ${what} yet (${sandboxDir})`, { hint: 'run `orel release` (mock mode) first, or pass --nomock for the real keys' });
  let trustSpec = v.trustedRoot;
  if (mock) {
    if (keyless && !existsSync(join(sandboxDir, 'sigstore', 'trusted_root.json'))) throw missingSandbox('Sigstore trusted root');
    trustSpec = SANDBOX;
  }
  // A key signer that never logs needs no Sigstore at all.
  const root = logged ? await loadTrustedRoot(trustSpec, { baseDir: rp.dir, sandboxDir, tuf: mock ? undefined : planTuf(rp), tufOptions: mock ? undefined : tufOptions() }) : undefined;
  const base = {
    release: rp.plan.release.name,
    repositories: repositoriesOf(rp),
    sigstore: root && sigstoreTrust(JSON.stringify(root.json), root.file ?? root.source),
    publicGood: !mock && root !== undefined && root.file === undefined,
    trustSource: !root ? 'none (the key signs without a log)' : root.file ? relative(process.cwd(), root.file) : root.source,
  };
  if (keyless) {
    const identity = mock ? (v.identity ?? SANDBOX_IDENTITY) : v.identity;
    const issuer = mock ? (v.issuer ?? SANDBOX_ISSUER) : v.issuer;
    return { ...base, signer: { kind: 'keyless', identity, identityRegexp: identity ? undefined : v.identityRegexp, issuer, issuerRegexp: issuer ? undefined : v.issuerRegexp } };
  }
  if (isCertified(spec)) {
    const ca = await caSigner(rp, spec.certificateChain, mock ? join(sandboxDir, 'keys', 'ca', 'root.pem') : undefined, missingSandbox);
    return { ...base, signer: ca.signer, trustSource: `the CA certificates in ${relative(process.cwd(), ca.file) || ca.file}` };
  }
  const keyFile = mock ? join(sandboxDir, 'keys', 'sandbox.pub') : v.key ? resolve(rp.dir, v.key) : undefined;
  if (!keyFile) {
    throw new OrelError('PLAN_INVALID', `${rp.file}: the ${spec.type} signer's public key is not in the plan`, {
      hint: 'set verification.key to its PEM public key file (cosign public-key --key …, or openssl pkey -pubout)',
    });
  }
  if (mock && !existsSync(keyFile)) throw missingSandbox('signing key');
  const publicKeyPem = await readFile(keyFile, 'utf8').catch((e: NodeJS.ErrnoException) => {
    throw new OrelError('USAGE', `cannot read the public key ${keyFile}: ${e.code ?? e.message}`, { cause: e });
  });
  if (!publicKeyPem.includes('-----BEGIN PUBLIC KEY-----')) throw new OrelError('PLAN_INVALID', `${keyFile} is not a PEM public key`, { hint: 'verification.key names the PEM SPKI public key (-----BEGIN PUBLIC KEY-----)' });
  return { ...base, signer: { kind: 'key', publicKeyPem, transparencyLog: logged } };
}

async function policy(opts: PolicyOptions): Promise<number> {
  try {
    const formats = formatsOf(opts.format);
    const rp = await loadPlan(resolve(opts.plan), { version: opts.releaseVersion });
    const input = await policyInput(rp, !opts.nomock, sandboxDirFor(rp, opts));
    const source = relative(process.cwd(), rp.file) || rp.file;
    // Every file is made before any is written: a refused format writes nothing, unless it was only implied.
    const made: { format: PolicyFormat; text: string }[] = [];
    for (const format of formats) {
      try {
        made.push({ format, text: policyYaml(format, input, source) });
      } catch (e) {
        if (opts.format || !(e instanceof UnexpressiblePolicyError)) throw e;
        process.stderr.write(`orel: skipped ${format}: ${e.message}\n`);
      }
    }
    if (!opts.output) {
      process.stdout.write(made.map((m) => m.text).join(''));
      return 0;
    }
    const dir = resolve(opts.output);
    await mkdir(dir, { recursive: true });
    for (const m of made) {
      await writeFileAtomic(join(dir, POLICY_FILES[m.format].file), m.text);
      process.stderr.write(`wrote ${join(opts.output, POLICY_FILES[m.format].file)}: ${POLICY_FILES[m.format].what}\n`);
    }
    if (!opts.nomock) process.stderr.write('orel: mock mode: these trust the sandbox keys; pass --nomock for the policies a real cluster applies\n');
    return 0;
  } catch (e) {
    return printError(e);
  }
}

export function register(program: Command, run: (f: () => Promise<number>) => Promise<void>): void {
  program
    .command('policy')
    .description(`write cluster admission policies that admit the plan's images only when its release signed them (${POLICY_FORMATS.join(', ')})`)
    .option('--format <list>', `comma-separated: ${POLICY_FORMATS.join(', ')} (default: all that can express the plan's signer)`)
    .option('-o, --output <dir>', 'write one file per format here instead of stdout')
    .action((_o, cmd: Command) => run(() => policy(cmd.optsWithGlobals())));
}
