// The npm-shrinkwrap.json of the orel package: the exact dependency tree this
// checkout's package-lock.json installed and tested, re-rooted at the package
// (npm honours a published package's shrinkwrap), so `npm install orel-*.tgz`
// gets exactly those versions — and works offline from npm's cache, since
// every entry names its tarball and integrity.

/** Where `name` resolves from lockfile location `from` (Node's walk up node_modules). */
function resolveIn(packages, from, name) {
  for (let dir = from; ; ) {
    const key = dir ? `${dir}/node_modules/${name}` : `node_modules/${name}`;
    if (packages[key]) return key;
    if (!dir) return undefined;
    const i = dir.lastIndexOf('/node_modules/');
    dir = i >= 0 ? dir.slice(0, i) : '';
  }
}

/** The lockfile fields npm needs to install an entry as it was (platform filters and scripts included). */
const COPIED = ['license', 'dependencies', 'optionalDependencies', 'peerDependencies', 'peerDependenciesMeta', 'optional', 'os', 'cpu', 'libc', 'engines', 'bin', 'hasInstallScript'];

const registryUrl = (name, version) => `https://registry.npmjs.org/${name}/-/${name.split('/').pop()}-${version}.tgz`;

/**
 * lock: the repository's package-lock.json (v3); direct: dependency name →
 * the lockfile key of the copy the workspace resolved. Returns the shrinkwrap
 * "packages" entries below the root.
 */
export function shrinkwrapTree(lock, direct) {
  const src = lock.packages;
  const out = {};
  const placed = new Map(); // new location -> original key
  const place = (at, key) => {
    const e = src[key];
    out[at] = {
      version: e.version,
      resolved: e.resolved ?? registryUrl(at.slice(at.lastIndexOf('node_modules/') + 13), e.version),
      integrity: e.integrity,
      ...Object.fromEntries(COPIED.filter((f) => e[f] !== undefined).map((f) => [f, e[f]])),
    };
    placed.set(at, key);
  };
  const queue = [];
  for (const [name, key] of direct) {
    place(`node_modules/${name}`, key);
    queue.push(`node_modules/${name}`);
  }
  while (queue.length) {
    const at = queue.shift();
    const key = placed.get(at);
    const e = src[key];
    const deps = { ...e.dependencies, ...e.optionalDependencies, ...e.peerDependencies };
    for (const name of Object.keys(deps)) {
      const want = resolveIn(src, key, name);
      if (!want) continue; // an optional dependency for another platform that was never installed
      // Already reachable from here with the same version: nothing to add.
      const have = resolveIn(out, at, name);
      if (have && out[have].version === src[want].version) continue;
      const top = `node_modules/${name}`;
      const where = out[top] ? `${at}/node_modules/${name}` : top;
      place(where, want);
      queue.push(where);
    }
  }
  return out;
}
