// Which SBOM a JSON document is, read from its content (never from its file
// name): SPDX 2.x (`spdxVersion`), SPDX 3.0.x JSON-LD (`@context`), CycloneDX
// (`bomFormat` + `specVersion`). Predicate types are the ones cosign's
// `--type spdxjson` / `--type cyclonedx` use.

export const SPDX_PREDICATE = 'https://spdx.dev/Document';
export const CYCLONEDX_PREDICATE = 'https://cyclonedx.org/bom';

export interface SbomFormat {
  family: 'spdx' | 'cyclonedx';
  /** The version the document declares (SPDX-2.3 → "2.3", CycloneDX specVersion). */
  version: string;
  /** The stored schema it is validated against (file name under schemas/). */
  schema: string;
  predicateType: string;
  /** Human name: "SPDX 2.3", "CycloneDX 1.6". */
  label: string;
}

/** A recognised SBOM, an SBOM of a version orel has no schema for, or not an SBOM. */
export type Detected = { format: SbomFormat } | { unsupported: string } | undefined;

const CYCLONEDX_SCHEMAS: Record<string, string> = { '1.5': 'cyclonedx-bom-1.5.schema.json', '1.6': 'cyclonedx-bom-1.6.schema.json', '1.7': 'cyclonedx-bom-1.7.schema.json' };
const SPDX3_CONTEXT = /^https:\/\/spdx\.org\/rdf\/(3\.\d+\.\d+)\/spdx-context\.jsonld$/;

export function detectSbom(doc: unknown): Detected {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return undefined;
  const d = doc as Record<string, unknown>;
  if (typeof d.spdxVersion === 'string') {
    const m = /^SPDX-(2\.\d+)$/.exec(d.spdxVersion);
    if (!m) return { unsupported: `spdxVersion ${JSON.stringify(d.spdxVersion)}: orel attests SPDX 2.x and 3.0 JSON` };
    // 2.3 is a superset of 2.2 in the JSON schema; both validate against it.
    return { format: { family: 'spdx', version: m[1], schema: 'spdx-2.3.schema.json', predicateType: SPDX_PREDICATE, label: `SPDX ${m[1]}` } };
  }
  const contexts = [d['@context']].flat().filter((c): c is string => typeof c === 'string');
  const spdx3 = contexts.map((c) => SPDX3_CONTEXT.exec(c)).find((m) => m);
  if (spdx3) {
    if (spdx3[1] !== '3.0.1') return { unsupported: `SPDX ${spdx3[1]} (@context ${spdx3[0]}): orel has the SPDX 3.0.1 schema; write the document as 3.0.1` };
    return { format: { family: 'spdx', version: '3.0.1', schema: 'spdx-3.0.1.schema.json', predicateType: SPDX_PREDICATE, label: 'SPDX 3.0.1' } };
  }
  if (d.bomFormat === 'CycloneDX') {
    const v = typeof d.specVersion === 'string' ? d.specVersion : '';
    const schema = CYCLONEDX_SCHEMAS[v];
    if (!schema) return { unsupported: `CycloneDX specVersion ${JSON.stringify(d.specVersion ?? null)}: orel attests CycloneDX ${Object.keys(CYCLONEDX_SCHEMAS).join(', ')}` };
    return { format: { family: 'cyclonedx', version: v, schema, predicateType: CYCLONEDX_PREDICATE, label: `CycloneDX ${v}` } };
  }
  return undefined;
}

/**
 * Cheap test on the first bytes of a file, before parsing all of it: only
 * JSON whose opening holds an SBOM marker is read in full.
 */
export function looksLikeSbom(head: string): boolean {
  return /^\s*\{/.test(head) && /"spdxVersion"|"bomFormat"\s*:\s*"CycloneDX"|spdx\.org\/rdf\/3\./.test(head);
}
