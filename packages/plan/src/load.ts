// Loads a release plan: YAML (with positions) → schema check → ${...}
// interpolation → schema check again (interpolated values) → cross-reference
// checks → ResolvedPlan. Every problem names file:line:column.
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { OrelError, registerSecret } from '@orel/core';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node, type Scalar } from 'yaml';
import { interpolate, type Ref } from './interpolate.js';
import { formatPath, locate, type PathSeg, where } from './position.js';
import { listMessage, problem, problemAt, sortProblems, type Problem, type SourceCtx } from './problems.js';
import { BUILTIN_VARS, semanticProblems } from './semantic.js';
import { pathProblems } from './semantic-paths.js';
import type { Plan, ResolvedPlan } from './types.js';
import { schemaProblems } from './validate.js';
import { SEGMENT, SEGMENT_RE } from './schema.js';
import { defaultBuildId, parseVersion } from './version.js';

export interface LoadOptions {
  /** Environment for ${env:NAME} (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Overrides release.version (e.g. from the command line). */
  version?: string;
  /** Overrides release.buildId (default: the plan's, else a UTC timestamp). */
  buildId?: string;
  /** Clock for the default buildId (tests). */
  now?: Date;
}

const INVALID_HINT = 'fix the plan; `orel plan schema` prints the full schema with descriptions';

/** Reads and resolves the plan file. */
export async function loadPlan(file: string, opts: LoadOptions = {}): Promise<ResolvedPlan> {
  const abs = resolve(file);
  let text: string;
  try {
    text = await readFile(abs, 'utf8');
  } catch (e) {
    throw new OrelError('USAGE', `cannot read plan ${file}: ${(e as Error).message}`, {
      hint: 'pass the path of a release plan (release.yaml)',
      cause: e,
    });
  }
  return parsePlan(text, file, opts);
}

/** Resolves plan text; `file` names it in messages and anchors relative paths. Pure apart from registerSecret. */
export function parsePlan(text: string, file: string, opts: LoadOptions = {}): ResolvedPlan {
  const abs = resolve(file);
  const shown = displayName(abs);
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length) {
    const lines = doc.errors.map((e) => `${where(shown, lc, e.pos[0])}: ${e.message.split('\n')[0]}`);
    throw new OrelError('PLAN_PARSE', listMessage(shown, lines, 'YAML errors'), {
      hint: 'fix the YAML syntax (indentation, quoting, a ":" after each key)',
      details: lines,
    });
  }
  const ctx: SourceCtx = { file: shown, text, doc, lc };

  // Structure first, so a typo is reported as such rather than as a missing variable.
  failIfAny(schemaProblems(ctx, planData(doc, shown), { skipTemplated: true }), shown);

  const env = opts.env ?? process.env;
  const warnings: string[] = [];
  const vars = resolveVariables(ctx, env, opts, warnings);

  const plan = planData(doc, shown) as Plan;
  failIfAny([...schemaProblems(ctx, plan), ...semanticProblems(ctx, plan), ...pathProblems(ctx, plan)], shown);

  plan.release.version = vars.version;
  plan.release.prerelease ??= vars.prerelease !== '';
  const buildIdPinned = opts.buildId !== undefined || plan.release.buildId !== undefined;
  plan.release.buildId = vars.buildId;
  return { plan, file: abs, dir: dirname(abs), vars, warnings, buildIdPinned };
}

/** --build-id becomes a directory name: the same strict pattern as release.buildId. */
function checkedBuildId(id: string | undefined): string | undefined {
  if (id !== undefined && !SEGMENT_RE.test(id)) {
    throw new OrelError('USAGE', `--build-id ${JSON.stringify(id)}: expected ${SEGMENT['x-expected']}`, { hint: 'e.g. --build-id 20261130T1200Z or --build-id ci-1234' });
  }
  return id;
}

/** The plan as plain data; YAML that expands without bound (an alias bomb) is a parse error, not a crash. */
function planData(doc: ReturnType<typeof parseDocument>, shown: string): any {
  try {
    return doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    throw new OrelError('PLAN_PARSE', `${shown}: ${(e as Error).message}`, { hint: 'YAML aliases (*name) may expand the plan only a little; write the values out' });
  }
}

function failIfAny(problems: Problem[], shown: string): void {
  if (!problems.length) return;
  const lines = sortProblems(problems);
  throw new OrelError('PLAN_INVALID', listMessage(shown, lines, 'problems'), { hint: INVALID_HINT, details: lines });
}

const displayName = (abs: string): string => {
  const rel = relative(process.cwd(), abs);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : abs;
};

/** Secret fields keep their ${env:NAME} text until an adapter needs them (see resolveSecret). */
export const isSecretPath = (p: PathSeg[]): boolean =>
  p.length === 3 &&
  ((p[0] === 'signers' && ['password', 'pin', 'identityToken'].includes(String(p[2]))) ||
    (p[0] === 'targets' && p[2] === 'token'));

/**
 * The plan for display: every secret field (isSecretPath) that is not an
 * ${env:NAME} reference is masked, so a literal password never reaches output.
 */
export function withoutSecrets(plan: Plan): Plan {
  const walk = (v: unknown, path: PathSeg[]): unknown => {
    if (typeof v === 'string') return isSecretPath(path) && !/^\$\{env:[A-Za-z_][A-Za-z0-9_]*\}$/.test(v) ? '***' : v;
    if (Array.isArray(v)) return v.map((x, i) => walk(x, [...path, i]));
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, [...path, k])]));
    return v;
  };
  return walk(plan, []) as Plan;
}

/**
 * Interpolates every string scalar of the document in place and returns the
 * variables: built-ins from release.* (which may use only ${env:...}), then
 * plan variables in order (each may use the built-ins and earlier ones).
 */
function resolveVariables(ctx: SourceCtx, env: NodeJS.ProcessEnv, opts: LoadOptions, warnings: string[]): Record<string, string> {
  const problems: Problem[] = [];
  const envHints = new Set<string>();
  const done = new Set<Node>();

  const apply = (node: Scalar, path: PathSeg[], known: Record<string, string>): string => {
    done.add(node);
    const res = interpolate(node.value as string, known, env);
    for (const ref of res.missing) problems.push(refProblem(ctx, node, path, ref, known, envHints));
    node.value = res.value;
    return res.value;
  };
  const stringAt = (path: PathSeg[]): Scalar | undefined => {
    const { node, exact } = locate(ctx.doc, path);
    return exact && isScalar(node) && typeof node.value === 'string' ? node : undefined;
  };

  // Built-ins.
  const nameNode = stringAt(['release', 'name']);
  const name = nameNode ? apply(nameNode, ['release', 'name'], {}) : '';
  const versionNode = stringAt(['release', 'version']);
  if (versionNode && opts.version !== undefined) done.add(versionNode);
  const rawVersion = opts.version ?? (versionNode ? apply(versionNode, ['release', 'version'], {}) : '');
  const buildIdNode = stringAt(['release', 'buildId']);
  const planBuildId = buildIdNode ? apply(buildIdNode, ['release', 'buildId'], {}) : undefined;
  const parts = parseVersion(rawVersion);
  if (!parts && !problems.length) {
    const from = opts.version !== undefined ? 'the --release-version option' : where(ctx.file, ctx.lc, versionNode?.range?.[0]);
    throw new OrelError('PLAN_INVALID', `${from}: release.version: expected a semantic version such as 1.2.0 or v1.2.0-rc.1 (got ${JSON.stringify(rawVersion)})`, {
      hint: INVALID_HINT,
    });
  }
  const vars: Record<string, string> = {
    version: parts?.version ?? rawVersion,
    major: parts?.major ?? '',
    minor: parts?.minor ?? '',
    patch: parts?.patch ?? '',
    prerelease: parts?.prerelease ?? '',
    name,
    buildId: checkedBuildId(opts.buildId) ?? planBuildId ?? defaultBuildId(opts.now),
  };

  // Plan variables, in order.
  const varsNode = locate(ctx.doc, ['variables']).node;
  if (varsNode && isMap(varsNode) && locate(ctx.doc, ['variables']).exact) {
    for (const pair of varsNode.items) {
      if (!isScalar(pair.key) || !isScalar(pair.value) || typeof pair.value.value !== 'string') continue;
      const key = String(pair.key.value);
      if ((BUILTIN_VARS as readonly string[]).includes(key)) continue; // reported by the semantic checks
      vars[key] = apply(pair.value, ['variables', key], { ...vars });
    }
  }

  // Everything else.
  walkStrings(ctx.doc.contents, [], (node, path) => {
    if (done.has(node)) return;
    if (isSecretPath(path)) return checkSecret(ctx, node, path, vars, problems, warnings);
    apply(node, path, vars);
  });

  if (problems.length) {
    const lines = sortProblems(problems);
    throw new OrelError('PLAN_VARIABLE', listMessage(ctx.file, lines, 'unresolved variables'), {
      hint: envHints.size
        ? `set the missing environment variable${envHints.size > 1 ? 's' : ''}: ${[...envHints].map((n) => `export ${n}=...`).join('; ')}`
        : `define the variable under "variables:" (built-ins: ${BUILTIN_VARS.join(', ')})`,
      details: lines,
    });
  }
  return vars;
}

/** Secret fields: variable names are checked now, ${env:...} stays for resolveSecret; a literal is a warning. */
function checkSecret(ctx: SourceCtx, node: Scalar, path: PathSeg[], vars: Record<string, string>, problems: Problem[], warnings: string[]): void {
  const value = node.value as string;
  const res = interpolate(value, vars, undefined);
  for (const ref of res.missing) problems.push(refProblem(ctx, node, path, ref, vars, new Set()));
  if (res.envRefs.length === 0 && value !== '') {
    registerSecret(res.value);
    warnings.push(problem(ctx, path, 'holds a literal secret; write ${env:NAME} and keep the value out of the plan', node).text);
  }
}

function refProblem(ctx: SourceCtx, node: Scalar, path: PathSeg[], ref: Ref, known: Record<string, string>, envHints: Set<string>): Problem {
  const offset = refOffset(node, ref.index);
  const at = formatPath(path);
  if (ref.kind === 'env') {
    envHints.add(ref.name);
    return problemAt(ctx, offset, at, `environment variable ${ref.name} is not set (export ${ref.name}=...)`);
  }
  if (ref.kind === 'malformed') {
    return problemAt(ctx, offset, at, `malformed reference ${ref.name}: write \${name}, \${env:NAME} or $\${ for a literal "\${"`);
  }
  const names = Object.keys(known);
  const laterVar = locate(ctx.doc, ['variables', ref.name]).exact;
  const why = !names.length
    ? `unknown variable "${ref.name}"; release fields may use only \${env:NAME}`
    : laterVar
      ? `variable "${ref.name}" is defined later; variables may use only earlier ones`
      : `unknown variable "${ref.name}"; known: ${names.join(', ')}`;
  return problemAt(ctx, offset, at, why);
}

/** Offset of a ${ inside a scalar: exact for plain and single-line quoted scalars, else the scalar's start. */
function refOffset(node: Scalar, index: number): number {
  const start = node.range?.[0] ?? 0;
  if (node.type === 'PLAIN') return start + index;
  if (node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE') return start + 1 + index;
  return start;
}

function walkStrings(node: unknown, path: PathSeg[], fn: (s: Scalar, path: PathSeg[]) => void): void {
  if (isScalar(node)) {
    if (typeof node.value === 'string') fn(node, path);
  } else if (isMap(node)) {
    for (const pair of node.items) if (isScalar(pair.key)) walkStrings(pair.value, [...path, String(pair.key.value)], fn);
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => walkStrings(item, [...path, i], fn));
  }
}

/**
 * Resolves a secret field (signers.*.password, .pin, .identityToken,
 * targets[].token) when its adapter is built: ${env:NAME} from `env`, ${name}
 * from the plan variables. The result is registered for redaction.
 */
export function resolveSecret(rp: ResolvedPlan, value: string | undefined, whereInPlan: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (value === undefined) return undefined;
  const res = interpolate(value, rp.vars, env);
  if (res.missing.length) {
    const names = res.missing.map((r) => r.name);
    const envNames = res.missing.filter((r) => r.kind === 'env').map((r) => r.name);
    throw new OrelError('PLAN_VARIABLE', `${displayName(rp.file)}: ${whereInPlan}: ${envNames.length ? `environment variable ${envNames.join(', ')} is not set` : `cannot resolve ${names.join(', ')}`}`, {
      hint: envNames.length ? envNames.map((n) => `export ${n}=...`).join('; ') : 'define the variable under "variables:"',
    });
  }
  registerSecret(res.value);
  return res.value;
}
