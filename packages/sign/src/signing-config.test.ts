import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isOrelError } from '@orel/core';
import { parseSigningConfig, resolveServices, selectServices, SIGNING_CONFIG_MEDIA_TYPE } from './signing-config.js';

const NOW = new Date('2026-11-30T12:00:00Z');
const svc = (url: string, majorApiVersion: number, start: string, end?: string) => ({ url, majorApiVersion, validFor: { start, ...(end && { end }) }, operator: 'test' });
const config = (over: Record<string, unknown> = {}) =>
  parseSigningConfig(
    {
      mediaType: SIGNING_CONFIG_MEDIA_TYPE,
      caUrls: [svc('https://fulcio.old', 1, '2022-01-01T00:00:00Z', '2026-01-01T00:00:00Z'), svc('https://fulcio.new', 1, '2026-01-01T00:00:00Z')],
      oidcUrls: [],
      rekorTlogUrls: [
        svc('https://rekor.v1', 1, '2021-01-01T00:00:00Z'),
        svc('https://log2025.v2', 2, '2025-10-01T00:00:00Z', '2026-10-01T00:00:00Z'),
        svc('https://log2026.v2', 2, '2026-10-01T00:00:00Z'),
        svc('https://log2027.v2', 2, '2027-01-01T00:00:00Z'),
        svc('https://rekor.v3', 3, '2026-01-01T00:00:00Z'),
      ],
      tsaUrls: [svc('https://tsa/api/v1/timestamp', 1, '2024-01-01T00:00:00Z')],
      rekorTlogConfig: { selector: 'ANY' },
      tsaConfig: { selector: 'ANY' },
      ...over,
    },
    'test.json',
  );
const FALLBACK = { fulcio: 'https://fulcio.sigstore.dev', rekor: 'https://rekor.sigstore.dev' };

describe('services from a signing config (v0.2)', () => {
  it('takes the services valid now with an API version orel speaks: the highest version, then the newest shard', () => {
    const s = selectServices(config(), { source: 'test.json', now: NOW });
    assert.deepEqual(s, { fulcio: 'https://fulcio.new', rekor: { url: 'https://log2026.v2', version: 2 }, tsa: 'https://tsa/api/v1/timestamp' });
    assert.deepEqual(selectServices(config(), { source: 'test.json', now: NOW, maxRekorVersion: 1 }).rekor, { url: 'https://rekor.v1', version: 1 });
    // A year on, the 2026 shard still serves; before its start, the 2025 one did.
    assert.equal(selectServices(config(), { source: 't', now: new Date('2026-06-01T00:00:00Z') }).rekor?.url, 'https://log2025.v2');
  });

  it('the plan names win; rekorVersion 2 with no v2 log listed is refused, naming the config and what it lists', () => {
    const v1only = config({ rekorTlogUrls: [svc('https://rekor.v1', 1, '2021-01-01T00:00:00Z')] });
    assert.deepEqual(resolveServices({ fulcio: 'https://mine' }, v1only, 'test.json', FALLBACK), { fulcio: 'https://mine', rekor: { url: 'https://rekor.v1', version: 1 }, tsa: 'https://tsa/api/v1/timestamp' });
    assert.equal(resolveServices({}, config({ tsaUrls: [] }), 'test.json', FALLBACK).tsa, undefined, 'no TSA listed, none used');
    assert.throws(() => resolveServices({ rekorVersion: 2 }, v1only, 'test.json', FALLBACK), (e) => isOrelError(e, 'USAGE') && /rekorVersion 2 .* test\.json lists no Rekor v2 log/.test(e.message));
    const v2 = resolveServices({}, config(), 'test.json', FALLBACK);
    assert.equal(v2.rekor.version, 2);
    assert.equal(v2.tsa, 'https://tsa/api/v1/timestamp');
    assert.deepEqual(resolveServices({}, undefined, 'none', FALLBACK), { fulcio: FALLBACK.fulcio, rekor: { url: FALLBACK.rekor, version: 1 }, tsa: undefined });
  });

  it('refuses what it cannot honour: no valid Fulcio, a selector asking for several logs, a file that is not a signing config', () => {
    const expired = config({ caUrls: [svc('https://fulcio.old', 1, '2022-01-01T00:00:00Z', '2026-01-01T00:00:00Z')] });
    assert.throws(() => selectServices(expired, { source: 'test.json', now: NOW }), (e) => isOrelError(e, 'USAGE') && /test\.json: no Fulcio .* https:\/\/fulcio\.old \(v1, until 2026-01-01/.test(e.message));
    assert.throws(() => selectServices(config({ rekorTlogConfig: { selector: 'ALL' } }), { source: 't', now: NOW }), /several Rekor logs/);
    assert.throws(() => parseSigningConfig({ mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1' }, 'root.json'), (e) => isOrelError(e, 'USAGE') && e.message.startsWith('root.json is not a Sigstore signing config'));
  });
});
