// in-toto Statement v1: the signed payload of every attestation orel makes
// (the release's SLSA provenance, SBOM attestations). Subjects are sorted by
// name, so the same release always gives the same statement.

export const INTOTO_STATEMENT_V1 = 'https://in-toto.io/Statement/v1';
export const INTOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';

export interface StatementSubject {
  name: string;
  digest: Record<string, string>;
}

export interface Statement<P = unknown> {
  _type: string;
  subject: StatementSubject[];
  predicateType: string;
  predicate: P;
}

/** A released file (both digests) or an image (its manifest digest, "sha256:<hex>"). */
export type SubjectSource = { name: string; sha256: string; sha512?: string } | { name: string; digest: string };

export function statementSubjects(items: readonly SubjectSource[]): StatementSubject[] {
  return items
    .map((i) => {
      if ('digest' in i) {
        const [alg, hex] = i.digest.split(':');
        return { name: i.name, digest: { [alg]: hex } };
      }
      return { name: i.name, digest: { sha256: i.sha256, ...(i.sha512 && { sha512: i.sha512 }) } };
    })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export function inTotoStatement<P>(predicateType: string, predicate: P, subjects: readonly SubjectSource[]): Statement<P> {
  return { _type: INTOTO_STATEMENT_V1, subject: statementSubjects(subjects), predicateType, predicate };
}
