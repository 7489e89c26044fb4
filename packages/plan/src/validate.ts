// Schema validation with ajv, translated into positioned, readable problems.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { keyNode, locate, pointerToPath, type PathSeg } from './position.js';
import { problem, sourceOf, type Problem, type SourceCtx } from './problems.js';
import { planSchema } from './schema.js';
import { didYouMean } from './suggest.js';

let compiled: ValidateFunction | undefined;
function validator(): ValidateFunction {
  if (!compiled) {
    const ajv = new Ajv({ allErrors: true, verbose: true, discriminator: true, strict: true });
    ajv.addKeyword({ keyword: 'x-expected', schemaType: 'string' });
    compiled = ajv.compile(planSchema);
  }
  return compiled;
}

const jsType = (v: unknown): string =>
  v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v === 'object' ? 'mapping' : typeof v;
const show = (v: unknown): string => (typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v) ?? String(v));
const TEMPLATED_KEYWORDS = new Set(['pattern', 'enum', 'const', 'minLength', 'format']);

export interface ValidateOptions {
  /** Ignore content checks on strings still holding ${...} (the pre-interpolation pass). */
  skipTemplated?: boolean;
}

/** Validates plain data (from `ctx.doc`) against the plan schema. */
export function schemaProblems(ctx: SourceCtx, data: unknown, opts: ValidateOptions = {}): Problem[] {
  const validate = validator();
  if (validate(data)) return [];
  const out: Problem[] = [];
  for (const e of validate.errors ?? []) {
    if ((e as { propertyName?: string }).propertyName !== undefined) continue; // reported by its propertyNames error
    if (opts.skipTemplated && TEMPLATED_KEYWORDS.has(e.keyword) && typeof e.data === 'string' && e.data.includes('${')) continue;
    out.push(translate(ctx, e));
  }
  return out;
}

function translate(ctx: SourceCtx, e: ErrorObject): Problem {
  const path: PathSeg[] = pointerToPath(e.instancePath);
  const here = locate(ctx.doc, path);
  // A map that lacks a key is pointed at by its own key ("artifacts:"), or,
  // for a list item, by the item itself ("- name: archives").
  const owner = typeof path.at(-1) === 'number' || /^\d+$/.test(String(path.at(-1) ?? '')) ? (here.node ?? here.key) : (here.key ?? here.node);
  const p = e.params as Record<string, any>;
  const parent = (e.parentSchema ?? {}) as Record<string, any>;
  switch (e.keyword) {
    case 'additionalProperties': {
      const name = String(p.additionalProperty);
      const allowed = Object.keys(parent.properties ?? {});
      const hint = didYouMean(name, allowed) || ` (allowed: ${allowed.join(', ')})`;
      return problem(ctx, [...path, name], `unknown key "${name}"${hint}`, keyNode(ctx.doc, path, name));
    }
    case 'required':
      return problem(ctx, path, `missing required key "${p.missingProperty}"`, owner);
    case 'propertyNames':
      return problem(ctx, [...path, p.propertyName], `invalid name "${p.propertyName}": ${
        path[0] === 'variables' ? 'variable names use letters, digits and "_", not starting with a digit' : 'names use letters, digits, ".", "_" or "-"'
      }`, keyNode(ctx.doc, path, p.propertyName));
    case 'discriminator': {
      const types: string[] = (parent.oneOf ?? []).map((s: any) => s.properties?.[p.tag]?.const).filter(Boolean);
      if (p.tagValue === undefined) {
        return problem(ctx, path, `missing required key "${p.tag}" (one of ${types.join(', ')})`, owner);
      }
      return problem(ctx, [...path, p.tag], `expected one of ${types.join(', ')} (got ${show(p.tagValue)})${didYouMean(String(p.tagValue), types)}`);
    }
    case 'type': {
      const expected = String(p.type).replace('object', 'mapping').replace('array', 'list');
      let msg = `expected ${expected}, got ${jsType(e.data).replace('object', 'mapping')}`;
      if (expected === 'string' && (typeof e.data === 'number' || typeof e.data === 'boolean')) {
        msg += ` (quote it: "${sourceOf(ctx, here.node) ?? String(e.data)}")`;
      }
      return problem(ctx, path, msg);
    }
    case 'enum': {
      const allowed = (p.allowedValues as unknown[]).map(String);
      return problem(ctx, path, `expected one of ${allowed.join(', ')} (got ${show(e.data)})${didYouMean(String(e.data), allowed)}`);
    }
    case 'const':
      return problem(ctx, path, `expected ${show(p.allowedValue)} (got ${show(e.data)})`);
    case 'pattern':
      return problem(ctx, path, `expected ${parent['x-expected'] ?? `a value matching /${p.pattern}/`} (got ${show(e.data)})`);
    case 'minLength':
      return problem(ctx, path, 'expected a non-empty string');
    case 'minItems':
      return problem(ctx, path, `expected at least ${p.limit} item${p.limit === 1 ? '' : 's'}`);
    case 'uniqueItems':
      return problem(ctx, [...path, p.i], `duplicate of item ${p.j} (${show((e.data as unknown[])[p.i])}); list each value once`);
    case 'minimum':
    case 'maximum':
      return problem(ctx, path, `expected a number ${p.comparison} ${p.limit} (got ${show(e.data)})`);
    default:
      return problem(ctx, path, e.message ?? e.keyword);
  }
}

