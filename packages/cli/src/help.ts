// What `orel <command> --help` teaches beyond the options: examples for every
// command, the exit statuses, and `orel --version` with the Sigstore
// libraries it signs and verifies with.
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export const EXIT_CODES = `
Exit status: 0 success; 2 bad plan or usage; 3 verification failed (or a stage that is not
this build's, or not verified); 4 a destination holds different bytes (never overwritten);
1 anything else (LOCKED: another run holds the release's state).`;

/** Examples by command path ("plan validate"); every command must have some (`teach` refuses to start otherwise). */
export const EXAMPLES: Record<string, string[]> = {
  plan: ['orel plan validate --plan release.yaml', 'orel plan show --json'],
  'plan validate': ['orel plan validate --plan release.yaml', 'orel plan validate --release-version 1.3.0-rc.1'],
  'plan show': ['orel plan show                      # every artifact and where it lands', 'orel plan show --json | jq ".artifacts[].destinations"'],
  'plan schema': ['orel plan schema > orel-plan.schema.json   # point your editor\'s YAML language server at it'],
  stage: ['orel stage                          # mock mode: into .orel/sandbox', 'orel stage --nomock --build-id "$CI_RUN_ID"', 'orel stage --nomock --shard 2/4 --build-id "$CI_RUN_ID"'],
  merge: ['orel merge --nomock --shards 4 --build-id "$CI_RUN_ID"'],
  release: ['orel release                        # mock mode: stage (if needed), promote, verify', 'orel release --nomock --build-id "$CI_RUN_ID"', 'orel release --release-version 1.3.0-rc.1   # rehearse a pre-release'],
  verify: ['orel verify --nomock                # the release targets, as users download them', 'orel verify --stage stage --json'],
  status: ['orel status', 'orel status --nomock --json'],
  'verify-blob': [
    'orel verify-blob hello-linux-amd64 --bundle hello-linux-amd64.sigstore.json \\\n      --certificate-identity https://github.com/ORG/REPO/.github/workflows/release.yml@refs/tags/v1.2.0 \\\n      --certificate-oidc-issuer https://token.actions.githubusercontent.com',
    'orel verify-blob hello.tar.gz --signature hello.tar.gz.sig --key cosign.pub',
  ],
  'verify-image': ['orel verify-image registry.example/app@sha256:… --key cosign.pub', 'orel verify-image registry.example/app:v1.2.0 --type slsaprovenance1 --certificate-identity … --certificate-oidc-issuer …'],
  report: ['orel report --html -o release-report.html', 'orel report --badge -o badge.svg', 'orel report --nomock | jq .verified'],
  policy: [
    'orel policy --nomock -o deploy/policies       # one file per admission controller',
    'orel policy --nomock --format kyverno | kubectl apply -f -',
    'orel policy --format kyverno-ivp,policy-controller   # mock mode: for the sandbox keys',
  ],
  ci: ['orel ci github-actions --shards 4 --build "make dist" -o .github/workflows/release.yml', 'orel ci tekton --shards 8 -o tekton/release.yaml', 'orel ci cloudbuild --shards 4 -o cloudbuild.yaml'],
};

const pathOf = (c: Command): string => (c.parent?.parent ? `${pathOf(c.parent)} ${c.name()}` : c.name());

/** Adds examples and exit statuses to the help of every command under `program`. */
export function teach(program: Command): void {
  const walk = (c: Command): void => {
    for (const sub of c.commands) {
      const examples = EXAMPLES[pathOf(sub)];
      if (!examples) throw new Error(`orel ${pathOf(sub)} has no examples in packages/cli/src/help.ts`);
      sub.addHelpText('after', `\nExamples:\n${examples.map((e) => `  ${e}`).join('\n')}`);
      sub.addHelpText('after', EXIT_CODES);
      walk(sub);
    }
  };
  walk(program);
}

/** The Sigstore libraries behind signing and verification, at their installed versions. */
export const SIGSTORE_LIBRARIES = ['@sigstore/sign', '@sigstore/verify', '@sigstore/bundle', '@sigstore/tuf', '@sigstore/core'] as const;

export function versionText(version: string): string {
  const require = createRequire(import.meta.url);
  const versions = SIGSTORE_LIBRARIES.map((name) => {
    try {
      // The package's main file, then up to its package.json (exports may hide "./package.json").
      let dir = dirname(require.resolve(name));
      for (let i = 0; i < 5; i++, dir = dirname(dir)) {
        try {
          const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
          if (pkg.name === name) return `${name} ${pkg.version}`;
        } catch {
          // not this directory
        }
      }
    } catch {
      // not installed beside this orel
    }
    return `${name} (not found)`;
  });
  return `orel ${version} (Node.js ${process.versions.node})\n${versions.join('\n')}`;
}
