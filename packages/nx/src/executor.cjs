// Nx executors (executors.json): `nx run <project>:stage | merge | release |
// verify` runs that orel command in the project's root with the plan and
// options from the project's configuration. orel runs as a child process (the
// installed `orel` package, else this workspace's @orel/cli), so the
// executor works the same under any Nx version and module system.
'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS on purpose: every Nx version loads it */
const { spawn } = require('node:child_process');
const { existsSync } = require('node:fs');
const { dirname, join, resolve } = require('node:path');

/** The orel entry point below node_modules from `from` up: the npm package's bundle, else the workspace CLI. */
function orelEntry(from) {
  for (let dir = from; ; dir = dirname(dir)) {
    for (const entry of [join(dir, 'node_modules/orel/dist/orel.js'), join(dir, 'node_modules/@orel/cli/bin/orel.js')]) if (existsSync(entry)) return entry;
    if (dirname(dir) === dir) throw new Error(`orel is not installed in ${from}: npm install --save-dev orel`);
  }
}

/** The command line for an executor's options. */
function argsFor(command, o) {
  const args = [command, '--plan', o.plan ?? 'release.yaml'];
  if (o.nomock) args.push('--nomock');
  if (o.buildId) args.push('--build-id', o.buildId);
  if (o.releaseVersion) args.push('--release-version', o.releaseVersion);
  if (o.shard) args.push('--shard', o.shard);
  if (o.shards !== undefined) args.push('--shards', String(o.shards));
  if (o.json) args.push('--json');
  return [...args, ...(o.args ?? [])];
}

function executor(command) {
  return async function run(options, context) {
    const project = context.projectsConfigurations?.projects?.[context.projectName] ?? context.workspace?.projects?.[context.projectName];
    const cwd = resolve(context.root, project?.root ?? '.');
    const entry = orelEntry(context.root);
    const code = await new Promise((done) => {
      const child = spawn(process.execPath, [entry, ...argsFor(command, options)], { cwd, stdio: 'inherit' });
      child.on('error', () => done(1));
      child.on('close', (c) => done(c ?? 1));
    });
    return { success: code === 0 };
  };
}

module.exports = { stage: executor('stage'), merge: executor('merge'), release: executor('release'), verify: executor('verify'), argsFor };
