// VERIFY.md: the exact commands, filled in for this release, that verify one
// downloaded file (DESIGN §5.10: identity flags confuse users). Pure: the
// notes step writes the text; tests and the e2e run the commands as written.
//
// cosign flags checked against cosign's own docs (doc/cosign_verify-blob.md):
// - main (v3): "--bundle (required)"; --key; --certificate-identity[-regexp];
//   --certificate-oidc-issuer[-regexp]; --trusted-root; examples
//   `cosign verify-blob --bundle artifact.sigstore.json --key cosign.pub` and
//   the keyless form with identity + issuer.
// - v2.x: --signature, --certificate (detached .sig + .cert), --insecure-ignore-tlog
//   ("to be used when an artifact signature has not been uploaded to the
//   transparency log"), --certificate-chain, --rekor-url, --offline.
// - sigstore/cosign#3796 added --new-bundle-format to verify-blob (v2.4); v3
//   makes it the default but keeps the flag, so passing it works on both.
//   sigstore/cosign#4959 (open) would require bundles: the detached
//   --signature/--certificate form is listed second for that reason.
import { KUBERNETES_OUTPUT_NAMES, isOutputName, outputLabel, outputName, type OutputNames, type SignOutputKind } from '@orel/core';

export type NotesSignOutput = SignOutputKind;

export interface VerifyNotesInput {
  release: { name: string; version: string };
  /** Every published file with its sha256 (the table at the end, sorted; the first plain file is the example). */
  files: { name: string; sha256: string }[];
  /** Where files download from (e.g. https://github.com/o/r/releases/download/v1.2.0). */
  downloadBase?: string;
  /** names: what each output is called (default: the Kubernetes layout). */
  signing?: { mode: 'key' | 'keyless' | 'ca'; outputs: readonly NotesSignOutput[]; what: 'artifacts' | 'checksums'; names?: OutputNames };
  identity?: string;
  issuer?: string;
  identityRegexp?: string;
  issuerRegexp?: string;
  /** Signed with a CA-certified key (mode "ca"): the published chain and trusted root, and the root users compare with their organisation's. */
  ca?: { chain: string; trustedRoot: string; root: string; fingerprint: string };
  /** Key-signed: the public key's asset name. */
  publicKeyName?: string;
  /** Aggregate checksum file. */
  checksumFile?: string;
  /** The algorithm of its digests (the artifact's recorded fact; default sha256). */
  checksumAlgorithm?: 'sha256' | 'sha512';
  /** A trusted_root.json to pass (private or sandbox Sigstore); omit for the public-good instance. */
  trustedRoot?: string;
  /** Key-signed entries were also written to a transparency log (else cosign needs --insecure-ignore-tlog). */
  tlog?: boolean;
  /** The release's SLSA provenance bundle (a DSSE Sigstore bundle naming every file), if it publishes one. */
  provenance?: string;
  /** SBOM attestations: each with its SBOM, cosign's --type for it, and one file it names (the example when it does). */
  sboms?: { attestation: string; sbom: string; type: 'spdxjson' | 'cyclonedx'; file: string }[];
  /** Keyless entries are in Rekor v2, which cannot be searched: a .sig + .cert pair has no log proof of its own (the bundle has it). */
  rekorV2?: boolean;
}

const DERIVED = /(\.sha256|\.sha512|\.pub)$|^(VERIFY\.md|SHA256SUMS|SHA512SUMS|checksums\.txt)$/;
const namesOf = (i: VerifyNotesInput): OutputNames => i.signing?.names ?? KUBERNETES_OUTPUT_NAMES;
/** A file orel made from others (a signature, a checksum, the notes): never the example users download. */
const derived = (i: VerifyNotesInput, name: string): boolean => DERIVED.test(name) || name === i.ca?.chain || name === i.ca?.trustedRoot || isOutputName(namesOf(i), name);

/** POSIX shell quoting: bare when safe, else single quotes. */
export function shq(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * The plan's regexps match whole values; cosign's flags match anywhere
 * (Go MatchString). Printed anchored, a pattern means the same in every tool.
 */
export const anchored = (pattern: string): string => `^(?:${pattern})$`;

/**
 * Who signed. A CA's certificate names no OIDC issuer: orel then checks the
 * identity alone, while cosign insists on an issuer flag, so it gets one
 * that any issuer (none included) matches.
 */
function policyFlags(i: VerifyNotesInput, tool: 'orel' | 'cosign'): string[] {
  if (i.signing?.mode === 'key') return ['--key', i.publicKeyName ?? 'cosign.pub'];
  const id = i.identity !== undefined ? ['--certificate-identity', i.identity] : ['--certificate-identity-regexp', anchored(i.identityRegexp ?? '')];
  if (i.signing?.mode === 'ca' && i.issuer === undefined && i.issuerRegexp === undefined) return tool === 'orel' ? id : [...id, '--certificate-oidc-issuer-regexp', anchored('.*')];
  const iss = i.issuer !== undefined ? ['--certificate-oidc-issuer', i.issuer] : ['--certificate-oidc-issuer-regexp', anchored(i.issuerRegexp ?? '')];
  return [...id, ...iss];
}

const cmd = (...parts: string[]) => parts.map(shq).join(' ');

/**
 * The flags every signature command of a release shares, per tool: who
 * signed, the trusted root, and cosign's opt-outs where there is nothing to
 * check (an unlogged key signature; a CA's certificate: no log, no SCT).
 */
function signerFlags(i: VerifyNotesInput, tool: 'orel' | 'cosign'): { policy: string[]; root: string[]; noTlog: string[] } {
  const mode = i.signing?.mode;
  const root = mode === 'ca' ? i.ca!.trustedRoot : i.trustedRoot;
  return {
    policy: policyFlags(i, tool),
    root: root ? ['--trusted-root', root] : [],
    noTlog: tool === 'orel' ? [] : mode === 'ca' ? ['--insecure-ignore-tlog', '--insecure-ignore-sct'] : mode === 'key' && !i.tlog ? ['--insecure-ignore-tlog'] : [],
  };
}

/** A file operand that no tool reads as an option (a release may hold a file named "-rf.tar.gz"). */
export const operand = (name: string): string => (name.startsWith('-') ? `./${name}` : name);

/**
 * The commands, in the order a user runs them, for the file that carries the
 * signature. cosign (v3.1, run by the e2e tests) gets the bundle when there is
 * one: its --signature/--certificate flags are deprecated, and --trusted-root
 * works only with bundles, so the legacy line is printed only for a release
 * without bundles, and for keyless only against the public-good root.
 */
export function verifyCommands(i: VerifyNotesInput, file: string): { orel: string[]; cosign: string[] } {
  const signed = operand(file);
  const out = { orel: [] as string[], cosign: [] as string[] };
  const s = i.signing;
  if (!s) return out;
  const o = signerFlags(i, 'orel');
  const c = signerFlags(i, 'cosign');
  const x = (output: NotesSignOutput) => operand(outputName(namesOf(i), output, file));
  if (s.outputs.includes('bundle')) {
    out.orel.push(cmd('orel', 'verify-blob', signed, '--bundle', x('bundle'), ...o.policy, ...o.root));
    out.cosign.push(cmd('cosign', 'verify-blob', signed, '--bundle', x('bundle'), ...c.policy, ...c.root, ...c.noTlog));
  }
  const pairProvable = s.mode !== 'keyless' || !i.rekorV2;
  if (s.outputs.includes('sig') && (s.mode === 'key' || s.outputs.includes('cert')) && pairProvable) {
    const cert = s.mode === 'key' ? [] : ['--certificate', x('cert')];
    out.orel.push(cmd('orel', 'verify-blob', signed, '--signature', x('sig'), ...cert, ...o.policy, ...o.root));
    // cosign reads a detached pair only without --trusted-root: a CA's chain then comes as --certificate-chain.
    const chain = s.mode === 'ca' ? ['--certificate-chain', i.ca!.chain] : [];
    const legacyOk = !s.outputs.includes('bundle') && (s.mode !== 'keyless' || c.root.length === 0);
    if (legacyOk) out.cosign.push(cmd('cosign', 'verify-blob', signed, '--signature', x('sig'), ...cert, ...chain, ...c.policy, ...c.noTlog));
  }
  return out;
}

/** The commands that check a file is a subject of a signed attestation of a predicate type (cosign's --type name). */
export function attestationCommands(i: VerifyNotesInput, bundle: string | undefined, type: string, file: string): { orel: string[]; cosign: string[] } {
  if (!i.signing || !bundle) return { orel: [], cosign: [] };
  const o = signerFlags(i, 'orel');
  const c = signerFlags(i, 'cosign');
  return {
    orel: [cmd('orel', 'verify-blob', operand(file), '--bundle', bundle, '--type', type, ...o.policy, ...o.root)],
    cosign: [cmd('cosign', 'verify-blob-attestation', '--bundle', bundle, '--type', type, ...c.policy, ...c.root, ...c.noTlog, operand(file))],
  };
}

/** The provenance commands for one file: it is a subject of the signed SLSA v1 statement. */
export const provenanceCommands = (i: VerifyNotesInput, file: string): { orel: string[]; cosign: string[] } => attestationCommands(i, i.provenance, 'slsaprovenance1', file);

export function renderVerifyNotes(input: VerifyNotesInput): string {
  // Sorted, so a re-run (artifacts from the stage manifest) writes the same bytes as the first run.
  const i = { ...input, files: [...input.files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)) };
  const sums = i.checksumFile ?? 'SHA256SUMS';
  const hasSums = i.files.some((f) => f.name === sums);
  const example = i.files.find((f) => !derived(i, f.name))?.name ?? i.files[0]?.name ?? 'FILE';
  const s = i.signing;
  // Signing only the checksum files: verify the checksum file, then the file against it.
  const signed = s?.what === 'checksums' ? sums : example;
  const { orel, cosign } = verifyCommands(i, signed);
  const sidecars = s ? (['bundle', 'sig', 'cert'] as const).filter((o) => s.outputs.includes(o) && (o !== 'cert' || s.mode !== 'key')).map((o) => outputName(namesOf(i), o, signed)) : [];
  const downloads = [
    ...new Set([
      example,
      ...(signed !== example ? [signed] : []),
      ...sidecars,
      ...(hasSums && signed === example ? [sums] : []),
      ...(s?.mode === 'key' ? [i.publicKeyName ?? 'cosign.pub'] : []),
      ...(s?.mode === 'ca' ? [i.ca!.chain, i.ca!.trustedRoot] : []),
      ...(s && i.provenance ? [i.provenance] : []),
      ...(s ? (i.sboms ?? []).flatMap((x) => [x.file, x.attestation]) : []),
    ]),
  ];
  const L: string[] = [];
  const block = (cmds: string[]) => L.push('```sh', ...cmds, '```', '');

  L.push(`# Verifying ${i.release.name} ${i.release.version}`, '');
  L.push(`These commands verify one downloaded file, \`${example}\`; for any other file of this release, replace its name.`, '');
  if (i.downloadBase) {
    L.push('## Download', '');
    block(downloads.map((f) => cmd('curl', '-sSfLO', `${i.downloadBase!.replace(/\/+$/, '')}/${encodeURIComponent(f)}`)));
  }
  if (s) {
    L.push('## Expected signer', '');
    if (s.mode === 'key') {
      L.push(`- Public key: \`${i.publicKeyName ?? 'cosign.pub'}\` (published with this release; compare it with the key the project publishes elsewhere)`);
    } else {
      L.push(i.identity !== undefined ? `- Certificate identity: \`${i.identity}\`` : `- Certificate identity matching (whole value): \`${i.identityRegexp}\``);
      if (s.mode === 'keyless' || i.issuer !== undefined || i.issuerRegexp !== undefined) {
        L.push(i.issuer !== undefined ? `- OIDC issuer: \`${i.issuer}\`` : `- OIDC issuer matching (whole value): \`${i.issuerRegexp}\``);
      }
    }
    if (s.mode === 'ca') {
      const ca = i.ca!;
      L.push(`- Certificate authority: \`${ca.root}\`, SHA-256 fingerprint \`${ca.fingerprint}\`; \`${ca.chain}\` (its chain) and \`${ca.trustedRoot}\` (the same as a Sigstore trusted root) are published with this release: compare the root with the one your organisation distributes`);
      L.push('- The certificate is long-lived and in no transparency log: it is checked at the time you verify, hence cosign\'s `--insecure-ignore-tlog --insecure-ignore-sct`');
    } else if (i.trustedRoot) L.push(`- Sigstore trusted root: \`${i.trustedRoot}\``);
    if (s.what === 'checksums') L.push(`- Only \`${sums}\` is signed; each file is verified through its checksum.`);
    if (i.rekorV2 && s.mode === 'keyless' && s.outputs.includes('sig')) {
      const x = (o: NotesSignOutput) => outputLabel(namesOf(i), o);
      L.push(`- Logged in Rekor v2, which cannot be searched: the \`${x('sig')}\` + \`${x('cert')}\` files carry no proof of their log entry; the \`${x('bundle')}\` bundle does, so verify the bundle.`);
    }
    L.push('');
    if (orel.length) {
      L.push('## With orel', '');
      block(orel);
    }
    if (cosign.length) {
      L.push('## With cosign (v3 or later)', '');
      if (s.mode === 'key' && !i.tlog) L.push('These signatures are not in a transparency log, hence `--insecure-ignore-tlog`.', '');
      if (!s.outputs.includes('bundle')) L.push('This release publishes no Sigstore bundles; cosign 3 warns that `--signature` is deprecated.', '');
      block(cosign);
    }
  }
  const prov = provenanceCommands(i, signed);
  if (prov.orel.length) {
    L.push('## Provenance', '');
    L.push(`\`${i.provenance}\` is a signed SLSA v1 provenance naming every file of this release with its sha256 and sha512; each command checks its signer and that the file is one of its subjects.`, '');
    block([...prov.orel, ...prov.cosign]);
  }
  const sbomAttestations = s ? (i.sboms ?? []) : [];
  if (sbomAttestations.length) {
    L.push('## SBOM', '');
    for (const x of sbomAttestations) {
      const c = attestationCommands(i, x.attestation, x.type, x.file);
      L.push(`\`${x.attestation}\` attests the SBOM \`${x.sbom}\` for the files it describes; each command checks its signer, that the attested SBOM is of type ${x.type} and that \`${x.file}\` is one of its subjects.`, '');
      block([...c.orel, ...c.cosign]);
    }
  }
  if (hasSums) {
    L.push('## Checksum', '');
    block([cmd(`${i.checksumAlgorithm ?? 'sha256'}sum`, '-c', operand(sums), '--ignore-missing')]);
  }
  if (i.files.length) {
    L.push('## Files', '', '| file | sha256 |', '| --- | --- |');
    for (const f of i.files) L.push(`| \`${f.name}\` | \`${f.sha256}\` |`);
    L.push('');
  }
  return L.join('\n');
}

/** Every shell command in the notes' ```sh blocks, one string each (for tests that run them). */
export function extractCommands(markdown: string): string[] {
  const out: string[] = [];
  let inBlock = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) inBlock = line === '```sh' ? true : false;
    else if (inBlock && line.trim()) out.push(line.trim());
  }
  return out;
}

/** Splits a command written by shq back into words (single quotes and bare words only). */
export function shellWords(command: string): string[] {
  const words: string[] = [];
  const re = /'((?:[^']|'\\'')*)'|(\S+)/g;
  for (let m = re.exec(command); m; m = re.exec(command)) words.push(m[1] !== undefined ? m[1].replace(/'\\''/g, "'") : m[2]);
  return words;
}
