// The sigstore-conformance CLI protocol (../../shared/conformance/cli_protocol.upstream.md)
// on orel's own signer and verifier:
//   verify-bundle [--staging] --bundle F (--certificate-identity I --certificate-oidc-issuer U | --key K) [--trusted-root R] FILE_OR_DIGEST
//   sign-bundle [--staging] [--in-toto] --identity-token T --bundle F [--trusted-root R] [--signing-config C] FILE
// Exit status 0 means verified / signed; anything else is a failure.
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { toDSSEBundle } from '@sigstore/bundle';
import { dsse, pem } from '@sigstore/core';
import { isOrelError } from '@orel/core';
import { buildMessageBundle, createKeylessSigner, createKeylessWitnesses, DEFAULT_FULCIO_URL, DEFAULT_REKOR_URL, keyMaterialPem, parseSigningConfig, resolveServices, serializeBundle } from '@orel/sign';
import { loadTrustedRoot, parseSha256, sha256File, verifyBlob } from '@orel/verify';
import type { Witness } from '@sigstore/sign';
import { parseArgs, str } from './args.js';

export interface RunIO {
  stderr: (line: string) => void;
}

const VERIFY_FLAGS = ['--staging', '--bundle', '--certificate-identity', '--certificate-oidc-issuer', '--key', '--trusted-root'];
const SIGN_FLAGS = ['--staging', '--in-toto', '--identity-token', '--bundle', '--trusted-root', '--signing-config'];

export async function run(argv: string[], io: RunIO): Promise<number> {
  try {
    switch (argv[0]) {
      case 'verify-bundle':
        await verifyBundleCommand(argv);
        return 0;
      case 'sign-bundle':
        await signBundleCommand(argv);
        return 0;
      default:
        io.stderr(`usage: entrypoint verify-bundle|sign-bundle ... (got ${JSON.stringify(argv[0] ?? '')})`);
        return 2;
    }
  } catch (e) {
    io.stderr(`${isOrelError(e) ? `${e.code}: ` : ''}${(e as Error)?.message ?? e}`);
    return 1;
  }
}

/** The protocol's FILE_OR_DIGEST: a well-formed "sha256:<hex>" that is not a path on disk is a digest. */
export function artifactInput(value: string): { sha256: Buffer } | { file: string } {
  const digest = value.startsWith('sha256:') && !existsSync(value) ? parseSha256(value) : undefined;
  return digest ? { sha256: digest } : { file: value };
}

async function verifyBundleCommand(argv: string[]): Promise<void> {
  const args = parseArgs(argv, VERIFY_FLAGS);
  if (args.flags.has('--staging')) throw new Error('--staging is not supported offline: pass --trusted-root with the staging root');
  const bundle = str(args, '--bundle');
  const input = args.positional[0];
  if (!bundle || !input || args.positional.length !== 1) throw new Error('verify-bundle needs --bundle FILE and one FILE_OR_DIGEST');
  const keyPath = str(args, '--key');
  const root = await loadTrustedRoot(str(args, '--trusted-root'));
  await verifyBlob({
    name: input,
    ...artifactInput(input),
    bundle,
    publicKeyPem: keyPath ? await readFile(keyPath, 'utf8') : undefined,
    trustedRoot: root.json,
    policy: keyPath ? undefined : { identity: str(args, '--certificate-identity'), issuer: str(args, '--certificate-oidc-issuer') },
  });
}

async function signBundleCommand(argv: string[]): Promise<void> {
  const args = parseArgs(argv, SIGN_FLAGS);
  if (args.flags.has('--staging')) throw new Error('--staging is not supported: pass --signing-config for the services to use');
  const token = str(args, '--identity-token');
  const out = str(args, '--bundle');
  const file = args.positional[0];
  if (!token || !out || !file) throw new Error('sign-bundle needs --identity-token, --bundle FILE and the FILE to sign');
  const configPath = str(args, '--signing-config');
  // The services as orel chooses them from a signing config (highest Rekor version it lists, its TSA), else public good.
  const config = configPath ? parseSigningConfig(JSON.parse(await readFile(configPath, 'utf8')), configPath) : undefined;
  const services = resolveServices({}, config, configPath ?? 'public good', { fulcio: DEFAULT_FULCIO_URL, rekor: DEFAULT_REKOR_URL });
  const signer = await createKeylessSigner({ fulcio: services.fulcio }, { token: async () => token });
  const witnesses = createKeylessWitnesses({ rekor: services.rekor.url, rekorVersion: services.rekor.version, tsa: services.tsa });

  let bytes: Buffer;
  if (args.flags.has('--in-toto')) {
    bytes = await signStatement(await readFile(file), signer, witnesses);
  } else {
    const digest = await sha256File(file);
    const result = await signer.signDigest(digest, 'sha256');
    bytes = serializeBundle(await buildMessageBundle({ digest, algorithm: 'sha256', result, witnesses }));
  }
  await writeFile(out, bytes);
}

/** DSSE over an in-toto statement: sign PAE(type, payload), log it, bundle it. */
async function signStatement(statement: Buffer, signer: Awaited<ReturnType<typeof createKeylessSigner>>, witnesses: Witness[]): Promise<Buffer> {
  const payloadType = 'application/vnd.in-toto+json';
  const result = await signer.sign(dsse.preAuthEncoding(payloadType, statement));
  const cert = keyMaterialPem(result);
  const bundle = toDSSEBundle({ artifact: statement, artifactType: payloadType, signature: result.signature, certificate: pem.toDER(cert) });
  const materials = await Promise.all(witnesses.map((w) => w.testify(bundle.content, cert)));
  bundle.verificationMaterial.tlogEntries = materials.flatMap((m) => m.tlogEntries ?? []);
  bundle.verificationMaterial.timestampVerificationData = { rfc3161Timestamps: materials.flatMap((m) => m.rfc3161Timestamps ?? []) };
  return serializeBundle(bundle);
}
