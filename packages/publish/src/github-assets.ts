// Pure pieces shared by the GitHub release publisher and its sandbox: target
// URLs, asset names, the "what to do with an asset already there" decision,
// and the pacer that keeps uploads under GitHub's documented secondary limits.
import { OrelError, sleep as realSleep } from '@orel/core';

export interface GitHubTarget {
  /** Target name from the plan. */
  name: string;
  /** github://owner/repo */
  url: string;
  /** API base URL (GitHub Enterprise: https://HOST/api/v3; tests: the local server). */
  endpoint?: string;
  /** The release's tag, already rendered (e.g. "v1.2.0"). */
  tag: string;
  /** Release title and body, already rendered. */
  title?: string;
  body?: string;
  /** On a draft, replace an asset whose bytes differ (never on a published release). */
  replaceDraftAssets?: boolean;
}

/** The asset that gets appended to the release body at finalize. */
export const VERIFY_NOTES_ASSET = 'VERIFY.md';

export function parseGitHubUrl(url: string, target = ''): { owner: string; repo: string } {
  const m = /^github:\/\/([A-Za-z0-9-]+)\/([A-Za-z0-9._-]+)\/?$/.exec(url);
  if (!m) {
    throw new OrelError('PLAN_INVALID', `target${target ? ` '${target}'` : ''}: "${url}" is not a GitHub release URL`, {
      hint: 'write github://OWNER/REPO (the tag comes from the target\'s "tag", default v{version})',
    });
  }
  return { owner: m[1], repo: m[2] };
}

const ASSET_NAME = /^[A-Za-z0-9_+@~-][A-Za-z0-9._+@~-]*$/;

/**
 * GitHub assets are flat: the asset name is the key's base name. Names GitHub
 * would rename (spaces, other punctuation, leading/trailing dots) are refused,
 * since a renamed asset would never be found again on a re-run.
 */
export function assetNameFor(key: string, target: string): string {
  const name = key.split('/').pop() ?? '';
  if (!ASSET_NAME.test(name) || name.endsWith('.')) {
    throw new OrelError('PLAN_INVALID', `github target '${target}': "${key}" gives asset name "${name}", which GitHub would rename`, {
      hint: 'asset names may hold letters, digits and . _ - + @ ~, and may not start or end with a dot; rename the artifact',
    });
  }
  return name;
}

export interface ExistingAsset {
  name: string;
  /** GitHub: "uploaded", or "starter" when an upload broke off. */
  state: string;
  size: number;
}

export type ExistingAction = 'keep' | 'replace' | 'reupload';

/**
 * What to do with an asset already present under the name. `sameBytes` is
 * the size + sha256 comparison. Throws PUBLISH_CONFLICT, naming the asset,
 * when the bytes differ and replacing is not allowed.
 */
export function decideExisting(
  existing: ExistingAsset,
  sameBytes: boolean,
  ctx: { target: string; tag: string; draft: boolean; replaceDraftAssets: boolean; want: { size: number; sha256: string }; have?: { sha256?: string } },
): ExistingAction {
  // A broken-off upload holds no published bytes: clear it and upload again.
  if (existing.state !== 'uploaded') return 'reupload';
  if (sameBytes) return 'keep';
  const what = `asset "${existing.name}" (${existing.size} bytes${ctx.have?.sha256 ? `, sha256 ${ctx.have.sha256.slice(0, 12)}…` : ''}) differs from the artifact (${ctx.want.size} bytes, sha256 ${ctx.want.sha256.slice(0, 12)}…)`;
  if (!ctx.draft) {
    throw new OrelError('PUBLISH_CONFLICT', `github target '${ctx.target}': release ${ctx.tag} is published and its ${what}`, {
      hint: 'orel never changes a published release; cut a new version, or delete the asset on GitHub yourself if you are sure',
    });
  }
  if (ctx.replaceDraftAssets) return 'replace';
  throw new OrelError('PUBLISH_CONFLICT', `github target '${ctx.target}': draft release ${ctx.tag} already has ${what}`, {
    hint: `set replaceDraftAssets: true on target '${ctx.target}' to replace assets on the draft, or delete the asset`,
  });
}

export interface PaceLimit {
  max: number;
  windowMs: number;
}

/**
 * GitHub's documented secondary limits for content-creating requests: no more
 * than 80 a minute and 500 an hour
 * (docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api).
 */
export const GITHUB_CONTENT_LIMITS: readonly PaceLimit[] = [
  { max: 80, windowMs: 60_000 },
  { max: 500, windowMs: 3_600_000 },
];

/**
 * Runs writes one at a time, each starting only when every sliding window
 * has room, so a release stays under the limits instead of being blocked.
 */
export class Pacer {
  private tail: Promise<unknown> = Promise.resolve();
  private readonly starts: number[] = [];
  private resumeAt = 0;

  constructor(
    private readonly limits: readonly PaceLimit[] = GITHUB_CONTENT_LIMITS,
    private readonly now: () => number = Date.now,
    private readonly sleep: (ms: number) => Promise<void> = realSleep,
  ) {}

  /** Milliseconds until another start fits every window (0 = now). */
  delay(at = this.now()): number {
    let wait = Math.max(0, this.resumeAt - at);
    for (const l of this.limits) {
      const inWindow = this.starts.filter((t) => t > at - l.windowMs);
      if (inWindow.length >= l.max) wait = Math.max(wait, inWindow[inWindow.length - l.max] + l.windowMs - at);
    }
    return wait;
  }

  /** Holds every write until `at` (a server asked us to back off). */
  pauseUntil(at: number): void {
    this.resumeAt = Math.max(this.resumeAt, at);
  }

  run<T>(fn: () => Promise<T>): Promise<T> {
    const go = async () => {
      for (let w = this.delay(); w > 0; w = this.delay()) await this.sleep(w);
      this.starts.push(this.now());
      const longest = Math.max(...this.limits.map((l) => l.windowMs));
      while (this.starts.length && this.starts[0] <= this.now() - longest) this.starts.shift();
      return fn();
    };
    const result = this.tail.then(go, go);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
