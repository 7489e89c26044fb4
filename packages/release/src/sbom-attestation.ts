// The check of an SBOM attestation (pure): an in-toto statement whose
// predicate is exactly the published SBOM, of the SBOM's predicate type,
// naming every file the SBOM describes with its released digests and nothing
// outside the release.
import { isDeepStrictEqual } from 'node:util';
import { detectSbom } from '@orel/sbom';
import { INTOTO_STATEMENT_V1, type Statement } from '@orel/sign';
import { coverageProblems, type ReleasedSubject } from './provenance.js';

export interface SbomAttestationInput {
  /** The published SBOM's name and parsed content. */
  sbom: { name: string; document: unknown };
  /** What it must name (the binding, recomputed from the plan). */
  expected: readonly ReleasedSubject[];
  /** Everything a subject may be: released files and images, by name → sha256. */
  known: ReadonlyMap<string, string>;
}

export function sbomAttestationProblems(statement: unknown, i: SbomAttestationInput): string[] {
  const s = statement as Partial<Statement> | undefined;
  const detected = detectSbom(i.sbom.document);
  if (!detected || !('format' in detected)) return [`${i.sbom.name} is not an SBOM orel attests`];
  const type = detected.format.predicateType;
  if (s?._type !== INTOTO_STATEMENT_V1 || s.predicateType !== type) return [`not an in-toto statement of type ${type} (type ${JSON.stringify(s?.predicateType)})`];
  const problems: string[] = [];
  if (!isDeepStrictEqual(s.predicate, i.sbom.document)) problems.push(`its predicate is not ${i.sbom.name} as published`);
  problems.push(...coverageProblems(s.subject, i.expected, 'SBOM attestation'));
  for (const sub of s.subject ?? []) {
    const sha256 = i.known.get(sub.name);
    if (sha256 === undefined) problems.push(`names ${sub.name}, which is not part of the release`);
    else if (sub.digest?.sha256 !== sha256) problems.push(`names ${sub.name} with sha256 ${sub.digest?.sha256 ?? 'none'}, released ${sha256}`);
  }
  return [...new Set(problems)];
}
