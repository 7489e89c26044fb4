// Validation against the published JSON Schemas (stored under schemas/, no
// network), with each problem located by a JSONPath into the document.
import { readFileSync, readdirSync } from 'node:fs';
import { Ajv, type AnySchema, type ErrorObject, type ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import ajvFormats from 'ajv-formats';
import type { SbomFormat } from './formats.js';

// ajv-formats is CommonJS whose types describe an ES default export: under Node's ESM the
// import is module.exports (the function); bundled, it may be the namespace holding `default`.
const addFormats = ((ajvFormats as unknown as { default?: unknown }).default ?? ajvFormats) as unknown as (ajv: Ajv) => Ajv;

const SCHEMA_DIR = new URL('../schemas/', import.meta.url);
const readSchema = (file: string): AnySchema => JSON.parse(readFileSync(new URL(file, SCHEMA_DIR), 'utf8')) as AnySchema;

export interface SbomProblem {
  /** JSONPath of the offending value ("$" for the document). */
  path: string;
  message: string;
}

const compiled = new Map<string, ValidateFunction>();

/** IRIs allow any Unicode, but never whitespace or the characters RFC 3987 excludes. */
const IRI_REFERENCE = /^[^\s<>"{}|\\^`]*$/u;

function validatorFor(format: SbomFormat): ValidateFunction {
  let v = compiled.get(format.schema);
  if (v) return v;
  const opts = { allErrors: true, strict: false, validateFormats: true } as const;
  const ajv = format.schema.startsWith('spdx-3') ? new Ajv2020(opts) : new Ajv(opts);
  addFormats(ajv);
  ajv.addFormat('iri-reference', IRI_REFERENCE).addFormat('iri', IRI_REFERENCE).addFormat('idn-email', /^[^\s@]+@[^\s@]+$/u);
  if (format.family === 'cyclonedx') {
    // The CycloneDX schemas $ref each other by $id; register the shared ones.
    for (const f of readdirSync(SCHEMA_DIR).filter((n) => n.startsWith('cyclonedx-') && !n.startsWith('cyclonedx-bom-'))) ajv.addSchema(readSchema(f));
  }
  v = ajv.compile(readSchema(format.schema));
  compiled.set(format.schema, v);
  return v;
}

/** JSON pointer (/packages/0/SPDXID) → JSONPath ($.packages[0].SPDXID). */
export function jsonPath(pointer: string): string {
  if (!pointer) return '$';
  return (
    '$' +
    pointer
      .slice(1)
      .split('/')
      .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
      .map((s) => (/^\d+$/.test(s) ? `[${s}]` : /^[A-Za-z_$][\w$]*$/.test(s) ? `.${s}` : `[${JSON.stringify(s)}]`))
      .join('')
  );
}

function describe(e: ErrorObject): SbomProblem {
  const p = e.params as Record<string, unknown>;
  if (e.keyword === 'required') return { path: jsonPath(e.instancePath), message: `missing required property "${String(p.missingProperty)}"` };
  if (e.keyword === 'additionalProperties') return { path: jsonPath(`${e.instancePath}/${String(p.additionalProperty).replace(/~/g, '~0').replace(/\//g, '~1')}`), message: 'is not a property the schema allows' };
  if (e.keyword === 'enum') return { path: jsonPath(e.instancePath), message: `must be one of ${(p.allowedValues as unknown[]).map((x) => JSON.stringify(x)).join(', ')}` };
  return { path: jsonPath(e.instancePath), message: e.message ?? e.keyword };
}

/**
 * The errors worth showing. Unions over typed objects (SPDX 3's @graph items
 * are one of ~80 classes told apart by `type`) report every branch the item
 * is not: a `type` mismatch per class and each class's required properties.
 * For an item whose `type` picked a branch that fails deeper down, only the
 * deeper errors say what is wrong.
 */
function relevant(errors: ErrorObject[]): ErrorObject[] {
  const isTypeNoise = (e: ErrorObject): boolean => /\/(@?type)$/.test(e.instancePath) && ['const', 'oneOf', 'anyOf', 'enum'].includes(e.keyword);
  const unions = new Set([
    ...errors.filter(isTypeNoise).map((e) => e.instancePath.replace(/\/@?type$/, '')),
    ...errors.filter((e) => e.keyword === 'oneOf' || e.keyword === 'anyOf').map((e) => e.instancePath),
  ]);
  const deeper = (p: string): boolean => errors.some((e) => !isTypeNoise(e) && e.instancePath.startsWith(`${p}/`));
  return errors.filter((e) => {
    if (['oneOf', 'anyOf', 'if', 'allOf'].includes(e.keyword) || isTypeNoise(e)) return false;
    return !(unions.has(e.instancePath) && deeper(e.instancePath));
  });
}

/**
 * Problems of a document against its format's schema; empty when valid. The
 * deepest come first (they say the most), at most `limit` of them.
 */
export function validateSbom(doc: unknown, format: SbomFormat, limit = 5): SbomProblem[] {
  const v = validatorFor(format);
  if (v(doc)) return [];
  const all = v.errors ?? [];
  // A missing or extra property is located at its parent: half a level deeper.
  const depth = (e: ErrorObject): number => e.instancePath.split('/').length + (e.keyword === 'required' || e.keyword === 'additionalProperties' ? 0.5 : 0);
  const chosen = relevant(all);
  const errors = (chosen.length ? chosen : all).map((e, i) => ({ e, i })).sort((a, b) => depth(b.e) - depth(a.e) || a.i - b.i);
  const seen = new Set<string>();
  const out: SbomProblem[] = [];
  for (const { e } of errors) {
    const d = describe(e);
    const key = `${d.path} ${d.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(d);
    if (out.length === limit) break;
  }
  return out;
}
