// Publishers for the plan's targets: the real ones (--nomock), by URL
// scheme, or their sandbox stand-ins (mock mode).
import { OrelError, type Publisher, type Reporter } from '@orel/core';
import { resolveSecret, type ResolvedPlan, type TargetSpec } from '@orel/plan';
import { FsPublisher, createGcsPublisher, createGitHubPublisher, createSandboxGitHubPublisher, fileUrlToDir, githubToken, resolveGitHubTarget } from '@orel/publish';
import { join } from 'node:path';

export async function realPublisher(t: TargetSpec, rp: ResolvedPlan, reporter: Reporter): Promise<Publisher> {
  const scheme = t.url.split(':')[0];
  switch (scheme) {
    case 'file':
      return new FsPublisher(t.name, fileUrlToDir(t.url, rp.dir), t.url);
    case 'github':
      return createGitHubPublisher(resolveGitHubTarget(t, rp.vars), {
        token: githubToken({ name: t.name, token: resolveSecret(rp, t.token, `targets.${t.name}.token`) }),
        prerelease: rp.plan.release.prerelease === true,
        reporter,
      });
    case 'gs':
      return createGcsPublisher({ name: t.name, url: t.url, endpoint: t.endpoint, concurrency: t.concurrency });
    // nomock publishers: more schemes are added here.
    default:
      throw new OrelError('PLAN_INVALID', `${rp.file}: target ${t.name}: no publisher for ${scheme}:// URLs in this build`);
  }
}

export async function sandboxPublisher(t: TargetSpec, rp: ResolvedPlan, sandboxDir: string): Promise<Publisher> {
  const scheme = t.url.split(':')[0];
  switch (scheme) {
    case 'github':
      // The release as a directory: release.json (draft state, body) + assets/.
      return createSandboxGitHubPublisher(join(sandboxDir, 'github'), resolveGitHubTarget(t, rp.vars), { prerelease: rp.plan.release.prerelease === true });
    // mock publishers: more schemes are added here.
    default:
      // Buckets and directories become directories in the sandbox.
      return new FsPublisher(t.name, join(sandboxDir, 'targets', t.name), `sandbox:${t.name}`);
  }
}
