import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isOrelError } from '@orel/core';
import { CYCLONEDX_PREDICATE, detectSbom, jsonPath, readSbom, sbomSubjects, SPDX_PREDICATE, validateSbom, type SbomFormat } from './index.js';

const data = (f: string): string => join(import.meta.dirname, 'testdata', f);
const doc = (f: string): unknown => JSON.parse(readFileSync(data(f), 'utf8'));
const formatOf = (d: unknown): SbomFormat => {
  const r = detectSbom(d);
  assert.ok(r && 'format' in r, JSON.stringify(r));
  return r.format;
};

test('detects SPDX 2.3, SPDX 3.0.1 and CycloneDX by content, with cosign predicate types', () => {
  assert.deepEqual([formatOf(doc('spdx-2.3.json')).label, formatOf(doc('spdx-2.3.json')).predicateType], ['SPDX 2.3', SPDX_PREDICATE]);
  assert.deepEqual([formatOf(doc('spdx-3.0.1.json')).label, formatOf(doc('spdx-3.0.1.json')).predicateType], ['SPDX 3.0.1', SPDX_PREDICATE]);
  assert.deepEqual([formatOf(doc('cyclonedx-1.6.json')).label, formatOf(doc('cyclonedx-1.6.json')).predicateType], ['CycloneDX 1.6', CYCLONEDX_PREDICATE]);
  assert.equal(detectSbom({ name: 'package.json', version: '1.0.0' }), undefined);
  assert.equal(detectSbom([1, 2]), undefined);
  assert.match((detectSbom(doc('cyclonedx-1.4.json')) as { unsupported: string }).unsupported, /CycloneDX specVersion "1\.4": orel attests CycloneDX 1\.5/);
  assert.match((detectSbom({ '@context': 'https://spdx.org/rdf/3.0.0/spdx-context.jsonld' }) as { unsupported: string }).unsupported, /SPDX 3\.0\.0/);
});

test('valid SBOMs pass their published schemas', () => {
  for (const f of ['spdx-2.3.json', 'spdx-3.0.1.json', 'cyclonedx-1.6.json']) assert.deepEqual(validateSbom(doc(f), formatOf(doc(f))), [], f);
});

test('an invalid SBOM is reported with the JSONPath of the problem', () => {
  const spdx = doc('spdx-2.3-invalid.json');
  assert.deepEqual(validateSbom(spdx, formatOf(spdx)), [{ path: '$.packages[1]', message: 'missing required property "downloadLocation"' }]);
  const cdx = doc('cyclonedx-1.5-invalid.json');
  const [p] = validateSbom(cdx, formatOf(cdx));
  assert.equal(p.path, '$.components[1].type');
  assert.match(p.message, /must be one of "application", .*"library"/);
  const spdx3 = doc('spdx-3.0.1.json') as { '@graph': Record<string, unknown>[] };
  spdx3['@graph'][4].software_packageVersion = 12;
  const problems = validateSbom(spdx3, formatOf(spdx3));
  assert.deepEqual(problems, [{ path: '$["@graph"][4].software_packageVersion', message: 'must be string' }]);
});

test('jsonPath renders pointers as JSONPath', () => {
  assert.equal(jsonPath(''), '$');
  assert.equal(jsonPath('/packages/0/SPDXID'), '$.packages[0].SPDXID');
  assert.equal(jsonPath('/a~1b/bom-ref'), '$["a/b"]["bom-ref"]');
});

test('readSbom: a JSON file that is no SBOM is skipped; an SBOM set member that is none is an error naming it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sbom-'));
  writeFileSync(join(dir, 'package.json'), '{"name":"x"}');
  writeFileSync(join(dir, 'bom.xml'), '<bom/>');
  assert.equal(await readSbom(join(dir, 'package.json'), 'package.json'), undefined);
  await assert.rejects(readSbom(join(dir, 'bom.xml'), 'bom.xml', true), (e) => isOrelError(e, 'SBOM_INVALID') && /bom\.xml .*not JSON/.test(e.message));
  await assert.rejects(readSbom(join(dir, 'package.json'), 'package.json', true), (e) => isOrelError(e, 'SBOM_INVALID') && /neither SPDX .* nor CycloneDX/.test(e.message));
  await assert.rejects(readSbom(data('cyclonedx-1.4.json'), 'old.cdx.json'), (e) => isOrelError(e, 'SBOM_INVALID') && /old\.cdx\.json .*1\.4/.test(e.message));
  const found = await readSbom(data('cyclonedx-1.5-invalid.json'), 'bom.json');
  assert.equal(found?.format.label, 'CycloneDX 1.5');
  assert.equal(found?.problems[0].path, '$.components[1].type');
});

test('sbomSubjects: the plan binding, else the file it is named after, else the whole release', () => {
  const files = ['hello-linux-amd64', 'hello-1.2.0-linux-amd64.tar.gz', 'hello-1.2.0-darwin-arm64.tar.gz'];
  assert.deepEqual(sbomSubjects('hello-1.2.0-linux-amd64.tar.gz.spdx.json', files), { files: ['hello-1.2.0-linux-amd64.tar.gz'], images: [], how: 'name' });
  assert.deepEqual(sbomSubjects('hello-1.2.0.spdx.json', files), { files: [...files].sort(), images: [], how: 'release' });
  assert.deepEqual(sbomSubjects('app.cdx.json', files, [{ file: '*.cdx.json', describes: ['*.tar.gz'], images: ['app'] }]), {
    files: ['hello-1.2.0-darwin-arm64.tar.gz', 'hello-1.2.0-linux-amd64.tar.gz'],
    images: ['app'],
    how: 'plan',
  });
  assert.match(sbomSubjects('app.cdx.json', files, [{ file: 'app.cdx.json', describes: ['*.zip'] }]) as string, /attestations\.sboms\[0\]\.describes "\*\.zip" matches no released file/);
  assert.match(sbomSubjects('app.cdx.json', [], []) as string, /describes nothing/);
});
