// orel plan validate | show | schema
import { ArtifactRegistry, LineReporter, OrelError, mapLimit, redact } from '@orel/core';
import { discover, findFiles } from '@orel/manifest';
import { checkPlanGitHubLimits, loadPlan, planSchema, withoutSecrets } from '@orel/plan';
import { keyFor, type ReleaseContext } from '@orel/release';
import type { Command } from 'commander';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { GlobalOptions } from '../compose.js';
import { printError } from '../output.js';
import { inSession } from './session.js';

async function validate(opts: GlobalOptions): Promise<number> {
  try {
    const rp = await loadPlan(resolve(opts.plan), { version: opts.releaseVersion });
    for (const w of rp.warnings ?? []) process.stderr.write(`warning: ${w}\n`);
    const p = rp.plan;
    // Globs are expanded (names and sizes, no hashing): a set matching nothing
    // fails here, and GitHub's hard limits are checked before any upload.
    const files = p.artifacts ? await findFiles(p.artifacts, rp.dir, rp.vars) : [];
    const sized = await mapLimit(files, 16, async (f) => ({ name: f.name, size: (await stat(f.path)).size }));
    const limits = checkPlanGitHubLimits(p, sized);
    if (limits.length) throw new OrelError('LIMIT', `${rp.file}: a GitHub target's limits would be exceeded`, { details: limits });
    const summary = {
      plan: rp.file,
      valid: true,
      release: { name: p.release.name, version: rp.vars.version },
      artifactSets: p.artifacts?.sets?.length ?? 0,
      files: files.length,
      images: p.images?.length ?? 0,
      targets: p.targets.map((t) => `${t.name} (${t.url})`),
      signer: p.signing ? `${p.signing.signer} (${p.signers?.[p.signing.signer]?.type})` : 'none',
    };
    if (opts.json) process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
    else process.stdout.write(`${rp.file}: valid — ${summary.release.name} ${summary.release.version}, ${summary.artifactSets} artifact sets (${summary.files} files), targets ${summary.targets.join(', ')}, signer ${summary.signer}\n`);
    return 0;
  } catch (e) {
    return printError(e);
  }
}

/** The resolved plan plus every artifact it would touch and where each would land. */
function show(opts: GlobalOptions): Promise<number> {
  return inSession(opts, { reporter: new LineReporter(), stage: 'stage', withSigner: false }, async (session) => {
    const rp = session.rp;
    const found = rp.plan.artifacts ? await discover(rp.plan.artifacts, rp.dir, {}) : [];
    const ctx: ReleaseContext = { ...session, artifacts: new ArtifactRegistry(found) };
    const targets = rp.plan.targets.map((t) => ({ name: t.name, url: t.url, location: session.publishers.get(t.name)!.location('') }));
    const artifacts = found.map((a) => ({
      name: a.name,
      kind: a.kind,
      os: a.os,
      arch: a.arch,
      size: a.size,
      sha256: a.sha256,
      source: a.relPath,
      destinations: Object.fromEntries(rp.plan.targets.map((t) => [t.name, keyFor(ctx, t.name, a)])),
    }));
    const images = (rp.plan.images ?? []).map((i) => ({ name: i.name, ref: i.ref, promoteTo: i.promoteTo ?? [], tags: i.tags ?? [] }));
    const out = { mode: session.mode, sandbox: session.sandboxDir, vars: rp.vars, plan: withoutSecrets(rp.plan), targets, artifacts, images };
    // Secrets never reach output: secret fields are masked, and any registered secret value (a literal, or one reached through a variable) is redacted.
    if (opts.json) process.stdout.write(redact(JSON.stringify(out, null, 2)) + '\n');
    else {
      process.stdout.write(`${rp.plan.release.name} ${rp.vars.version} (build ${rp.vars.buildId}), ${session.mode} mode\n`);
      for (const t of targets) process.stdout.write(`target ${t.name}: ${t.url} → ${t.location}\n`);
      for (const a of artifacts) {
        process.stdout.write(`  ${a.name}  ${a.kind}${a.os ? ` ${a.os}/${a.arch}` : ''}  ${a.size} B  sha256:${a.sha256.slice(0, 16)}…  from ${a.source}\n`);
        for (const [t, k] of Object.entries(a.destinations)) process.stdout.write(`      ${t}: ${k}\n`);
      }
      for (const i of images) {
        process.stdout.write(`  image ${i.name}: ${i.ref} → ${i.promoteTo.join(', ') || '(not promoted)'}${i.tags.length ? ` tags ${i.tags.join(', ')}` : ''}\n`);
      }
    }
    return 0;
  });
}

export function register(program: Command, run: (f: () => Promise<number>) => Promise<void>): void {
  const plan = program.command('plan').description('inspect a release plan');
  plan
    .command('validate')
    .description('check the plan against the schema and its references; errors name file:line:column')
    .action((_o, cmd: Command) => run(() => validate(cmd.optsWithGlobals())));
  plan
    .command('show')
    .description('print the resolved plan and every artifact it would touch, with its destination in each target')
    .action((_o, cmd: Command) => run(() => show(cmd.optsWithGlobals())));
  plan
    .command('schema')
    .description('print the JSON Schema of release plans (for editor completion)')
    .action(() => run(async () => (process.stdout.write(JSON.stringify(planSchema, null, 2) + '\n'), 0)));
}
