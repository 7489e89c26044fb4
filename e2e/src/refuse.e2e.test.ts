// Refuse before the first write: bad plans, builds and destinations, tried
// as a careless or hostile user would. Each is refused with exit 2 (plan or
// usage) or its documented code, names the file/line/artifact, and leaves
// every target, the sandbox and the state directory as they were (the whole
// workspace is listed before and after; only the sandbox's own Sigstore and
// key material, made once per sandbox, may appear).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { extractCommands, shellWords } from '@orel/release';
import { errorLines, orel, snapshot, workspace, type Workspace } from './helpers.js';

const run = (ws: Workspace, args: string[], env: Record<string, string | undefined> = {}) => orel([...args, '--sandbox', ws.sandbox], { cwd: ws.dir, env });
const SANDBOX_OWN = /^sandbox\/(sigstore|keys)\//;
// Targets by inode and bytes (never rewritten); the state file by its bytes (a refused run restores them).
const listing = (ws: Workspace) =>
  new Map([...snapshot(ws.dir)].filter(([f]) => !SANDBOX_OWN.test(f)).map(([f, s]) => [f, f.endsWith('/state.json') ? s.sha256 : `${s.ino}:${s.sha256}`]));

/** Runs `args`, expects exit `status` and an error matching `message`, and that nothing was written. */
async function refused(ws: Workspace, args: string[], status: number, message: RegExp, env: Record<string, string | undefined> = {}): Promise<string> {
  const before = listing(ws);
  const r = await run(ws, args, env);
  const errors = errorLines(r.stderr);
  assert.equal(r.status, status, `${args.join(' ')}:\n${errors || r.stderr.slice(-1500)}`);
  assert.match(errors, message);
  const after = listing(ws);
  const changed = [...new Set([...before.keys(), ...after.keys()])].filter((f) => before.get(f) !== after.get(f));
  assert.deepEqual(changed, [], `nothing written by: orel ${args.join(' ')}`);
  return errors;
}

const variant = (ws: Workspace, name: string, edit: (y: string) => string) => ws.variant(name, edit);

describe('refused at plan time: `plan validate` and every command, without network', () => {
  const cases: [string, (y: string) => string, RegExp][] = [
    ['a marker on a released file', (y) => y.replace('files: [release/stable.txt,', 'files: ["release/v{version}/SHA256SUMS", release/stable.txt,'), /markers\.files\[0\]: marker "release\/v1\.2\.0\/SHA256SUMS" is where SHA256SUMS is published/],
    ['a release name that is a path', (y) => y.replace('name: hello\n', 'name: "../../../../escape/x"\n'), /release\.name: expected a name of letters/],
    ['a layout without {name} (every artifact at one key)', (y) => y.replace('default: "release/v{version}/{name}"', 'default: "release/v{version}/x"'), /targets\[1\]\.layout\.default: "release\/v\{version\}\/x" has no \{name\}/],
    ['a layout that escapes the target', (y) => y.replace('default: "release/v{version}/{name}"', 'default: "../v{version}/{name}"'), /leaves the target/],
    ['a layout that escapes through a variable', (y) => y.replace('apiVersion: orel.dev/v1\n', 'apiVersion: orel.dev/v1\nvariables: { up: "../.." }\n').replace('default: "release/v{version}/{name}"', 'default: "{up}/{name}"'), /renders to "\.\.\/\.\.\/x", which leaves the target/],
    ['an unknown layout placeholder', (y) => y.replace('default: "release/v{version}/{name}"', 'default: "release/{channel}/{name}"'), /unknown placeholder \{channel\}/],
    ['an identity regexp that does not compile', (y) => `${y}verification:\n  key: keys/cosign.pub\n  identityRegexp: "(unclosed"\n`, /verification\.identityRegexp: not a valid regular expression/],
    ['markers before verify', (y) => y.replace('    targets: [release]\n', '    targets: [release]\n    steps: [check-staged, promote, markers, verify]\n'), /stages\.release\.steps\[2\]: "markers" is out of order/],
    ['notes after verify', (y) => y.replace('    targets: [release]\n', '    targets: [release]\n    steps: [check-staged, promote, verify, notes]\n'), /"notes" is out of order/],
    ['no release stage', (y) => y.replace('  release:\n    targets: [release]\n', ''), /stages: missing required key "release"/],
    ['no stages', (y) => y.replace(/\nstages:\n[\s\S]*$/, '\n'), /missing required key "stages"/],
    ['a stage with no targets', (y) => y.replace('  stage:\n    targets: [staging]', '  stage:\n    targets: []'), /stages\.stage\.targets: .*(at least 1|fewer than 1)/],
    ['{version} in a target url', (y) => y.replace('url: file://out/release', 'url: file://out/release/v{version}'), /targets\[1\]\.url: target URLs take no placeholders/],
  ];
  for (const [what, edit, message] of cases) {
    test(what, async (t) => {
      const ws = workspace(t);
      const plan = variant(ws, 'bad.yaml', edit);
      await refused(ws, ['plan', 'validate', '--plan', plan], 2, message);
      const errors = await refused(ws, ['release', '--plan', plan], 2, message);
      assert.match(errors, /bad\.yaml:\d+:\d+: /, 'names file:line:column');
    });
  }

  test('a keyless signer with a private Fulcio needs a trusted root', async (t) => {
    const ws = workspace(t, 'release.yaml');
    const plan = variant(ws, 'private.yaml', (y) => y.replace('    type: keyless', '    type: keyless\n    fulcio: https://fulcio.corp.example'));
    await refused(ws, ['plan', 'validate', '--plan', plan], 2, /signers\.sigstore\.fulcio: a private Fulcio needs verification\.trustedRoot/);
  });

  test('bad command-line values: --build-id that is a path, --release-version that is not semver, --sandbox that is a file', async (t) => {
    const ws = workspace(t);
    await refused(ws, ['stage', '--plan', ws.plan, '--build-id', '../../../x'], 2, /--build-id "\.\.\/\.\.\/\.\.\/x": expected a name/);
    await refused(ws, ['stage', '--plan', ws.plan, '--release-version', '1.2'], 2, /the --release-version option: release\.version: expected a semantic version/);
    writeFileSync(join(ws.dir, 'afile'), 'x');
    const before = listing(ws);
    const r = await orel(['stage', '--plan', ws.plan, '--sandbox', join(ws.dir, 'afile')], { cwd: ws.dir });
    assert.equal(r.status, 2);
    assert.match(errorLines(r.stderr), /--sandbox .*afile is not a directory/);
    assert.deepEqual(listing(ws), before);
  });

  test('a YAML alias bomb is a parse error', async (t) => {
    const ws = workspace(t);
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]', ...Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)}]`)].join('\n');
    const plan = variant(ws, 'bomb.yaml', (y) => y.replace('apiVersion: orel.dev/v1\n', `apiVersion: orel.dev/v1\nvariables: {}\nx-bomb:\n${bomb.replace(/^/gm, '  ')}\n`));
    await refused(ws, ['plan', 'validate', '--plan', plan], 2, /error\[PLAN_PARSE\]: .*bomb\.yaml: .*alias/i);
  });

  test('in mock mode a key file the real run will need must exist and parse (no secret read)', async (t) => {
    const ws = workspace(t);
    const plan = variant(ws, 'nokey.yaml', (y) => y.replace('key: keys/cosign.key', 'key: keys/missing.key'));
    await refused(ws, ['stage', '--plan', plan], 1, /KEY_INVALID.*keys\/missing\.key/);
    mkdirSync(join(ws.dir, 'keys'), { recursive: true });
    writeFileSync(join(ws.dir, 'keys/garbage.key'), 'not a key\n');
    const plan2 = variant(ws, 'garbage.yaml', (y) => y.replace('key: keys/cosign.key', 'key: keys/garbage.key'));
    await refused(ws, ['stage', '--plan', plan2], 1, /KEY_INVALID.*garbage\.key: not a supported private key/);
  });
});

describe('refused before the first write: from the build output and the destinations', () => {
  test('a keyless certificate for another identity is refused before anything is signed, logged or uploaded', async (t) => {
    const ws = workspace(t, 'release.yaml');
    const plan = variant(ws, 'foreign.yaml', (y) => y.replace(/ {2}identity: .*\n/, () => "  identityRegexp: '^https://github\\.com/other/.*$'\n"));
    const errors = await refused(ws, ['release', '--plan', plan], 3, /POLICY.*signing certificate issued for this run does not satisfy/);
    assert.match(errors, /certificate identity "https:\/\/github\.com\/example\/hello\/|certificate identity "release@orel\.sandbox"/);
  });

  test('a squatted object at a release path: nothing is promoted (preflight), the squatter left as it was', async (t) => {
    const ws = workspace(t);
    assert.equal((await run(ws, ['stage', '--plan', ws.plan])).status, 0);
    const dir = join(ws.sandbox, 'targets/release/release/v1.2.0');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'hello-linux-amd64'), 'not ours');
    const errors = await refused(ws, ['release', '--plan', ws.plan], 4, /PUBLISH_CONFLICT.*destinations already hold other bytes; nothing was signed or written/);
    assert.match(errors, /hello-linux-amd64 already holds other bytes than hello-linux-amd64/);
  });

  test('VERIFY.md already there with other content (a target added later): refused before promoting anything', async (t) => {
    const ws = workspace(t);
    const dir = join(ws.sandbox, 'targets/release/release/v1.2.0');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'VERIFY.md'), '# someone else\n');
    assert.equal((await run(ws, ['stage', '--plan', ws.plan])).status, 0);
    await refused(ws, ['release', '--plan', ws.plan], 4, /VERIFY\.md already holds other bytes than VERIFY\.md/);
  });

  test("a build file with the name of one of orel's outputs (a file's .sig or .sha256, SHA256SUMS, cosign.pub, Spin's crt.pem) is refused before anything is signed: the output would replace it", async (t) => {
    const ws = workspace(t);
    // The binaries set renames bin/<os>/<arch>/hello* to hello-<os>-<arch>*: hello.sig becomes hello-linux-amd64.sig.
    writeFileSync(join(ws.dir, 'dist/bin/linux/amd64/hello.sig'), 'a file of the build');
    let errors = await refused(ws, ['stage', '--plan', ws.plan], 2, /PLAN_INVALID.*orel would write files under names the build already uses/);
    assert.match(errors, /hello-linux-amd64\.sig: a file of the build \(set binaries\), and the signature of hello-linux-amd64/);
    execFileSync('rm', [join(ws.dir, 'dist/bin/linux/amd64/hello.sig')]);
    // Checksum files too: the per-file hello-linux-amd64.sha256, and SHA256SUMS (below).
    writeFileSync(join(ws.dir, 'dist/bin/linux/amd64/hello.sha256'), 'a file of the build');
    await refused(ws, ['stage', '--plan', ws.plan], 1, /DISCOVERY_DUPLICATE.*checksum file "hello-linux-amd64\.sha256" has the same name as another artifact/);
    execFileSync('rm', [join(ws.dir, 'dist/bin/linux/amd64/hello.sha256')]);

    mkdirSync(join(ws.dir, 'dist/extra'));
    for (const f of ['SHA256SUMS', 'cosign.pub']) writeFileSync(join(ws.dir, 'dist/extra', f), 'a file of the build');
    const extra = (y: string) => y.replace('    - name: sbom\n', '    - name: extra\n      kind: other\n      include: ["extra/*"]\n    - name: sbom\n');
    const extraPlan = variant(ws, 'extra.yaml', extra);
    await refused(ws, ['stage', '--plan', extraPlan], 1, /DISCOVERY_DUPLICATE.*checksum file "SHA256SUMS" has the same name as another artifact/);
    execFileSync('rm', [join(ws.dir, 'dist/extra/SHA256SUMS')]);
    errors = await refused(ws, ['stage', '--plan', extraPlan], 2, /orel would write files under names the build already uses/);
    assert.match(errors, /cosign\.pub: a file of the build \(set extra\), and the release's public key/);
    const keyless = workspace(t, 'release.yaml');
    mkdirSync(join(keyless.dir, 'dist/extra'));
    writeFileSync(join(keyless.dir, 'dist/extra/crt.pem'), 'a file of the build');
    const spinKeyless = variant(keyless, 'spin.yaml', (y) => extra(y).replace('  outputs: [bundle, sig, cert]\n', '  outputs: [sig, cert]\n  naming: spin\n'));
    errors = await refused(keyless, ['stage', '--plan', spinKeyless], 2, /orel would write files under names the build already uses/);
    assert.match(errors, /crt\.pem: a file of the build \(set extra\), and the certificate every signature is made under/);
  });

  test('a file name longer than file systems allow, and one that is not UTF-8, are named clearly', async (t) => {
    const ws = workspace(t);
    writeFileSync(join(ws.dir, 'dist/sbom', `${'x'.repeat(230)}.spdx.json`), '{}');
    await refused(ws, ['stage', '--plan', ws.plan], 2, /produced a name of 240 bytes .*at most 200/);
    execFileSync('rm', [join(ws.dir, 'dist/sbom', `${'x'.repeat(230)}.spdx.json`)]);
    // (Not listed by refused(): the workspace listing itself cannot name a non-UTF-8 file.)
    writeFileSync(Buffer.from(`${join(ws.dir, 'dist/sbom')}/bad-\xff.spdx.json`, 'latin1'), '{}');
    const r = await run(ws, ['stage', '--plan', ws.plan]);
    assert.equal(r.status, 2, errorLines(r.stderr));
    assert.match(errorLines(r.stderr), /the file name "sbom\/bad-\uFFFD\.spdx\.json" is not valid UTF-8/);
    assert.equal(existsSync(join(ws.sandbox, 'targets')), false, 'nothing published');
  });

  test('a file named -rf.tar.gz: every VERIFY.md command works as written', async (t) => {
    const ws = workspace(t);
    writeFileSync(join(ws.dir, 'dist/archives/-rf.tar.gz'), 'dash');
    const plan = variant(ws, 'dash.yaml', (y) => y.replace('include: ["archives/*.tar.gz"]', 'include: ["archives/*.tar.gz"]\n      rename: "{file}"').replace(/rename: "hello-\{os\}-\{arch\}\{ext\}"/, 'rename: "-rf{ext}"').replace('include: ["bin/*/*/hello*"]', 'include: ["bin/linux/amd64/hello*"]'));
    const r = await run(ws, ['release', '--plan', plan]);
    assert.equal(r.status, 0, errorLines(r.stderr));
    const dir = join(ws.sandbox, 'targets/release/release/v1.2.0');
    const notes = readFileSync(join(dir, 'VERIFY.md'), 'utf8');
    const commands = extractCommands(notes).filter((c) => !c.startsWith('curl') && !c.startsWith('cosign'));
    assert.ok(commands.some((c) => c.includes('./-rf')), notes);
    for (const c of commands) {
      const [tool, ...args] = shellWords(c);
      const res = tool === 'orel' ? await orel(args, { cwd: dir }) : { status: 0, stderr: execFileSync(tool, args, { cwd: dir }).toString() };
      assert.equal(res.status, 0, `${c}\n${res.stderr}`);
    }
  });
});

describe('messages', () => {
  test('plan show --json never prints a secret: a literal password, or a token reached through a variable', async (t) => {
    const ws = workspace(t);
    const plan = variant(ws, 'secrets.yaml', (y) =>
      y
        .replace('apiVersion: orel.dev/v1\n', 'apiVersion: orel.dev/v1\nvariables: { tok: "${env:OREL_T_TOKEN}" }\n')
        .replace('password: ${env:COSIGN_PASSWORD}', 'password: hunter2-literal')
        .replace('url: file://out/release\n', 'url: file://out/release\n    token: "${tok}"\n'),
    );
    const r = await run(ws, ['plan', 'show', '--plan', plan, '--json'], { OREL_T_TOKEN: 'ghp_supersecret123' });
    assert.equal(r.status, 0, errorLines(r.stderr));
    for (const out of [r.stdout, r.stderr]) {
      assert.ok(!out.includes('hunter2-literal'), 'literal password');
      assert.ok(!out.includes('ghp_supersecret123'), 'token through a variable');
    }
    assert.ok(r.json().plan, 'still a report');
  });

  test('subcommand --help shows the global options and the exit statuses; stage and release take --identity-token', async () => {
    for (const cmd of ['stage', 'release', 'verify', 'status']) {
      const r = await orel([cmd, '--help'], { cwd: process.cwd() });
      assert.equal(r.status, 0);
      assert.match(r.stdout, /Global Options:[\s\S]*--plan/);
      assert.match(r.stdout, /Exit status: 0 success; 2 bad plan or usage; 3 verification failed/);
      if (cmd === 'stage' || cmd === 'release') assert.match(r.stdout, /--identity-token <token>/);
    }
  });
});
