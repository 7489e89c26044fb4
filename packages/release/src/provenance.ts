// The release's SLSA v1 provenance (pure): an in-toto Statement whose
// subjects are every released file (sha256 + sha512) and image digest, with
// buildDefinition / runDetails from the CI run that made it (GitHub Actions,
// Cloud Build, Tekton; a local run says so) and the plan's digest as an
// external parameter. And its check: the provenance must cover every
// released subject with the right digests and name the builder the policy
// expects; verification fails otherwise, naming what is wrong.
import { OrelError, type Artifact } from '@orel/core';
import { inTotoStatement, INTOTO_STATEMENT_V1, type Statement, type StatementSubject } from '@orel/sign';

export const SLSA_PROVENANCE_V1 = 'https://slsa.dev/provenance/v1';
export const OREL_BUILD_TYPE = 'https://orel.dev/release/v1';
export const LOCAL_BUILDER = 'https://orel.dev/builders/local';

export interface BuildRun {
  /** Where it ran, for humans and policies. */
  kind: 'github-actions' | 'cloud-build' | 'tekton' | 'local';
  builderId: string;
  invocationId?: string;
  /** The source the run built from (a git commit). */
  source?: { uri: string; digest: Record<string, string> };
}

/** The CI run orel is in, from its environment (and whether /tekton exists, for Tekton steps). */
export function detectBuildRun(env: NodeJS.ProcessEnv, tekton = false): BuildRun {
  if (env.GITHUB_ACTIONS === 'true' && env.GITHUB_REPOSITORY) {
    const server = env.GITHUB_SERVER_URL ?? 'https://github.com';
    return {
      kind: 'github-actions',
      // The workflow that ran the release: what keyless certificates name too.
      builderId: env.GITHUB_WORKFLOW_REF ? `${server}/${env.GITHUB_WORKFLOW_REF}` : `${server}/${env.GITHUB_REPOSITORY}/actions`,
      invocationId: env.GITHUB_RUN_ID ? `${server}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}/attempts/${env.GITHUB_RUN_ATTEMPT ?? '1'}` : undefined,
      source: env.GITHUB_SHA ? { uri: `git+${server}/${env.GITHUB_REPOSITORY}@${env.GITHUB_REF ?? ''}`, digest: { gitCommit: env.GITHUB_SHA } } : undefined,
    };
  }
  if (env.BUILD_ID && env.PROJECT_ID) {
    return {
      kind: 'cloud-build',
      builderId: 'https://cloudbuild.googleapis.com/GoogleHostedWorker',
      invocationId: `https://cloudbuild.googleapis.com/v1/projects/${env.PROJECT_ID}/builds/${env.BUILD_ID}`,
      source: env.COMMIT_SHA && env.REPO_NAME ? { uri: `git+${env.REPO_NAME}`, digest: { gitCommit: env.COMMIT_SHA } } : undefined,
    };
  }
  if (tekton) return { kind: 'tekton', builderId: 'https://tekton.dev/chains/v2', invocationId: env.HOSTNAME };
  return { kind: 'local', builderId: LOCAL_BUILDER };
}

export interface ProvenanceInput {
  release: { name: string; version: string };
  /** Released files (build outputs, checksum files) and images (digest in sha256). */
  subjects: Artifact[];
  images?: { name: string; digest: string }[];
  plan: { file: string; sha256: string };
  buildId?: string;
  run: BuildRun;
  orelVersion: string;
  startedOn: Date;
  finishedOn: Date;
}

export interface ProvenancePredicate {
  buildDefinition: { buildType: string; externalParameters: Record<string, unknown>; internalParameters?: Record<string, unknown>; resolvedDependencies?: { uri: string; digest: Record<string, string> }[] };
  runDetails: { builder: { id: string; version?: Record<string, string> }; metadata?: Record<string, unknown> };
}

/** The statement: the same release always gives the same subjects. */
export function provenanceStatement(i: ProvenanceInput): Statement<ProvenancePredicate> {
  return inTotoStatement<ProvenancePredicate>(
    SLSA_PROVENANCE_V1,
    {
      buildDefinition: {
        buildType: OREL_BUILD_TYPE,
        externalParameters: {
          release: i.release,
          plan: { path: i.plan.file, digest: { sha256: i.plan.sha256 } },
          ...(i.buildId && { buildId: i.buildId }),
        },
        internalParameters: { ci: i.run.kind },
        ...(i.run.source && { resolvedDependencies: [i.run.source] }),
      },
      runDetails: {
        builder: { id: i.run.builderId, version: { orel: i.orelVersion } },
        metadata: { ...(i.run.invocationId && { invocationId: i.run.invocationId }), startedOn: i.startedOn.toISOString(), finishedOn: i.finishedOn.toISOString() },
      },
    },
    [...i.subjects, ...(i.images ?? [])],
  );
}

export interface ProvenancePolicy {
  builderId?: string;
  builderIdRegexp?: string;
  /** The git repository the run built from: resolvedDependencies must name it (git+<url>[@ref]). */
  sourceRepository?: string;
}

export interface ReleasedSubject {
  name: string;
  sha256: string;
  sha512?: string;
}

/**
 * Subjects a statement must name with these digests: one problem per
 * released subject it leaves out or names with other digests.
 */
export function coverageProblems(subjects: unknown, released: readonly ReleasedSubject[], what: string): string[] {
  const named = new Map((Array.isArray(subjects) ? (subjects as Partial<StatementSubject>[]) : []).map((x) => [x?.name, x?.digest ?? {}]));
  const problems: string[] = [];
  for (const a of released) {
    const d = named.get(a.name);
    if (!d) problems.push(`${a.name} is released but not a subject of the ${what}`);
    else if (d.sha256 !== a.sha256 || (a.sha512 && d.sha512 !== undefined && d.sha512 !== a.sha512)) problems.push(`${a.name}: the ${what} names other digests (sha256 ${d.sha256 ?? 'none'}, released ${a.sha256})`);
  }
  return problems;
}

/**
 * Problems with a verified statement: not SLSA v1, a released artifact it
 * does not name or names with other digests, a builder or source the policy
 * does not accept. Empty when it holds.
 */
export function provenanceProblems(statement: unknown, released: ReleasedSubject[], policy: ProvenancePolicy = {}): string[] {
  const s = statement as Partial<Statement<ProvenancePredicate>> | undefined;
  if (s?._type !== INTOTO_STATEMENT_V1 || s.predicateType !== SLSA_PROVENANCE_V1) return [`not a SLSA v1 provenance statement (type ${JSON.stringify(s?.predicateType)})`];
  const problems = coverageProblems(s.subject, released, 'provenance');
  const builder = s.predicate?.runDetails?.builder?.id;
  if (policy.builderId !== undefined && builder !== policy.builderId) problems.push(`builder ${JSON.stringify(builder)} is not ${JSON.stringify(policy.builderId)} (verification.provenance.builderId)`);
  if (policy.builderIdRegexp !== undefined && !new RegExp(`^(?:${policy.builderIdRegexp})$`).test(builder ?? '')) {
    problems.push(`builder ${JSON.stringify(builder)} does not match ${policy.builderIdRegexp} (verification.provenance.builderIdRegexp)`);
  }
  if (policy.sourceRepository !== undefined) {
    const want = policy.sourceRepository.replace(/^git\+/, '');
    const sources = (s.predicate?.buildDefinition?.resolvedDependencies ?? []).map((d) => d.uri);
    if (!sources.some((u) => u.replace(/^git\+/, '').split('@')[0] === want)) {
      problems.push(`built from ${sources.length ? sources.join(', ') : 'no recorded source'}, not ${want} (verification.provenance.sourceRepository)`);
    }
  }
  return problems;
}

/** The statement inside a DSSE bundle's envelope (already signature-checked). */
export function statementOf(bundleJson: unknown, name: string): unknown {
  const env = (bundleJson as { dsseEnvelope?: { payload?: string; payloadType?: string } })?.dsseEnvelope;
  if (!env?.payload) throw new OrelError('VERIFY_FAILED', `${name}: not a DSSE bundle (no envelope)`);
  try {
    return JSON.parse(Buffer.from(env.payload, 'base64').toString('utf8'));
  } catch (e) {
    throw new OrelError('VERIFY_FAILED', `${name}: the envelope's payload is not JSON: ${(e as Error).message}`);
  }
}
