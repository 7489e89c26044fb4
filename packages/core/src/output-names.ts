// What the signing outputs of a file are called. Each output is a template:
// "{file}<suffix>" names it after the file it signs (<file>.sig), a plain
// file name is one file every signature shares (Spin's crt.pem: the one
// certificate all of a run's signatures were made under). Only a certificate
// can be shared: a signature or bundle is of one file.

export type SignOutputKind = 'bundle' | 'sig' | 'cert';
export type OutputNames = Record<SignOutputKind, string>;

/** The Kubernetes layout (dl.k8s.io), orel's default: <file>.sigstore.json, <file>.sig, <file>.cert. */
export const KUBERNETES_OUTPUT_NAMES = { bundle: '{file}.sigstore.json', sig: '{file}.sig', cert: '{file}.cert' } as const satisfies OutputNames;

const FILE = '{file}';

/** The name of one file's output. */
export const outputName = (names: OutputNames, output: SignOutputKind, file: string): string => names[output].replace(FILE, file);

/** The file every signature shares for this output, or undefined when each file has its own. */
export const sharedOutputName = (names: OutputNames, output: SignOutputKind): string | undefined => (names[output].includes(FILE) ? undefined : names[output]);

/** How a user reads an output's name: ".sig" for a per-file one, the file name for a shared one. */
export const outputLabel = (names: OutputNames, output: SignOutputKind): string => sharedOutputName(names, output) ?? names[output].replace(FILE, '');

/** Whether a name is one of these outputs (a per-file output by its suffix, a shared one by name). */
export const isOutputName = (names: OutputNames, name: string): boolean =>
  (Object.keys(names) as SignOutputKind[]).some((o) => (sharedOutputName(names, o) ? name === names[o] : name.endsWith(outputLabel(names, o))));
