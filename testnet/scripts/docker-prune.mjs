#!/usr/bin/env node
/**
 * Copies the run-time part of a built pnpm workspace into a new folder, for the testnet image
 * (testnet/Dockerfile runs it in its first stage, with the base image's Node; no npm or network).
 *
 *   node docker-prune.mjs SRC OUT [ENTRY...]     (ENTRY: workspace folders, default packages/cli packages/node)
 *
 * From the entries it follows `dependencies`, non-optional peers and installed optional dependencies,
 * skipping packages built for another platform (os/cpu/libc fields, or a napi-rs style name suffix), resolving each the way Node does (node_modules folders up from
 * the package's real path, which pnpm's symlinks lead into node_modules/.pnpm). It copies:
 * - each workspace package reached: package.json, dist/ and its node_modules/ of symlinks;
 * - each node_modules/.pnpm/<entry> folder reached, whole (the package and its dependency symlinks);
 * - the symlinks of node_modules/.pnpm/node_modules (pnpm's hoisted ones) that point into what is kept.
 * Symlinks are copied as they are (relative), so they resolve in OUT as in SRC. devDependencies are
 * left out; their symlinks in a package's node_modules dangle, which Node never notices.
 */
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
} from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

const [srcArg, outArg, ...entryArgs] = process.argv.slice(2);
if (!srcArg || !outArg) {
  process.stderr.write('usage: docker-prune.mjs SRC OUT [ENTRY...]\n');
  process.exit(2);
}
const src = realpathSync(resolve(srcArg));
const out = resolve(outArg);
const entries = entryArgs.length ? entryArgs : ['packages/cli', 'packages/node'];
const pnpmDir = join(src, 'node_modules', '.pnpm');

const glibc = process.report?.getReport().header.glibcVersionRuntime;
const libc = glibc ? 'glibc' : 'musl';
/** npm's os/cpu/libc fields: a list of allowed values, or of `!value` exclusions. */
function allows(list, value) {
  if (!Array.isArray(list) || list.length === 0) return true;
  if (list.includes(`!${value}`)) return false;
  const positive = list.filter((v) => !v.startsWith('!'));
  return positive.length === 0 || positive.includes(value);
}
/**
 * Native-binary packages named by napi-rs's convention (`<name>-<os>-<cpu>[-<abi>]`): some parents list
 * every platform's as plain dependencies (hardhat's @nomicfoundation/edr), and load only their own.
 */
const NATIVE =
  /-(darwin|linux|win32|freebsd|android|openbsd|sunos|aix)-(x64|arm64|ia32|arm|riscv64|ppc64|s390x|loong64|universal)(?:-(gnu|musl|msvc|gnueabihf|musleabihf|eabi))?$/;
function fitsByName(name) {
  const m = NATIVE.exec(name);
  if (!m) return true;
  if (m[1] !== process.platform || (m[2] !== process.arch && m[2] !== 'universal')) return false;
  return !(m[3] === 'msvc' || (m[3] && m[3].startsWith('musl') !== (libc === 'musl')));
}
const fitsPlatform = (pkg) =>
  allows(pkg.os, process.platform) && allows(pkg.cpu, process.arch) && allows(pkg.libc, libc);

const readJson = (path) => JSON.parse(readFileSync(path, 'utf8'));

/** Node's lookup: `<dir>/node_modules/<name>` for each ancestor of the package's real folder. */
function resolveDependency(fromDir, name) {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    if (!dir.endsWith(`${sep}node_modules`)) {
      const candidate = join(dir, 'node_modules', name);
      if (existsSync(join(candidate, 'package.json'))) return realpathSync(candidate);
    }
    if (dir === dirname(dir)) return null;
  }
}

const keptPnpm = new Set(); // node_modules/.pnpm/<entry> names
const keptWorkspace = new Set(); // workspace package folders, relative to src
const seen = new Set();
const warnings = [];
const missing = [];

function visit(realDir, via) {
  if (seen.has(realDir)) return;
  seen.add(realDir);
  const rel = relative(src, realDir);
  if (rel.startsWith('..')) throw new Error(`${via}: resolves outside ${src}: ${realDir}`);
  if (realDir.startsWith(pnpmDir + sep)) keptPnpm.add(relative(pnpmDir, realDir).split(sep)[0]);
  else if (!rel.split(sep).includes('node_modules')) keptWorkspace.add(rel);
  else throw new Error(`${via}: ${rel} is neither a workspace package nor in node_modules/.pnpm`);

  const pkg = readJson(join(realDir, 'package.json'));
  const optionalPeers = new Set(
    Object.entries(pkg.peerDependenciesMeta ?? {})
      .filter(([, meta]) => meta?.optional)
      .map(([name]) => name),
  );
  const wanted = [
    ...Object.keys(pkg.dependencies ?? {}).map((name) => [name, 'required']),
    ...Object.keys(pkg.optionalDependencies ?? {}).map((name) => [name, 'optional']),
    ...Object.keys(pkg.peerDependencies ?? {})
      .filter((name) => !optionalPeers.has(name))
      .map((name) => [name, 'peer']),
  ];
  const optional = new Set(Object.keys(pkg.optionalDependencies ?? {}));
  for (const [name, kind] of wanted) {
    if (kind === 'required' && optional.has(name)) continue; // listed in both: treat as optional
    if (!fitsByName(name)) continue;
    const found = resolveDependency(realDir, name);
    if (!found) {
      // Type packages are never loaded; a missing required one is an error (the image would not run).
      if (kind === 'required' && !name.startsWith('@types/')) missing.push(`${pkg.name ?? rel} -> ${name}`);
      else if (kind === 'peer') warnings.push(`${pkg.name ?? rel}: peer dependency ${name} is not installed`);
      continue;
    }
    if (!fitsPlatform(readJson(join(found, 'package.json')))) continue;
    visit(found, `${pkg.name ?? rel} -> ${name}`);
  }
}

for (const entry of entries) {
  const dir = join(src, entry);
  if (!existsSync(join(dir, 'package.json'))) throw new Error(`entry ${entry}: no package.json in ${dir}`);
  visit(realpathSync(dir), entry);
}
if (missing.length) {
  process.stderr.write(
    `docker-prune: dependencies not installed (not built with pnpm install, or left out by .dockerignore): ${missing.join(', ')}\n`,
  );
  process.exit(1);
}

const copy = (from, to) => {
  mkdirSync(dirname(to), { recursive: true });
  cpSync(from, to, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
};

mkdirSync(out, { recursive: true });
if (existsSync(join(src, 'package.json'))) copy(join(src, 'package.json'), join(out, 'package.json'));
for (const rel of [...keptWorkspace].sort()) {
  const from = join(src, rel);
  copy(join(from, 'package.json'), join(out, rel, 'package.json'));
  if (existsSync(join(from, 'dist'))) copy(join(from, 'dist'), join(out, rel, 'dist'));
  else warnings.push(`${rel}: no dist/ (not built?)`);
  if (existsSync(join(from, 'node_modules'))) copy(join(from, 'node_modules'), join(out, rel, 'node_modules'));
}
for (const name of [...keptPnpm].sort()) copy(join(pnpmDir, name), join(out, 'node_modules', '.pnpm', name));

// pnpm's hoisted symlinks (node_modules/.pnpm/node_modules/<name> or <@scope>/<name>), for undeclared requires.
const hoisted = join(pnpmDir, 'node_modules');
let hoistedKept = 0;
const keepLink = (rel) => {
  const link = join(hoisted, rel);
  if (!lstatSync(link).isSymbolicLink()) return;
  const target = resolve(dirname(link), readlinkSync(link));
  if (!target.startsWith(pnpmDir + sep)) return;
  if (!keptPnpm.has(relative(pnpmDir, target).split(sep)[0])) return;
  copy(link, join(out, 'node_modules', '.pnpm', 'node_modules', rel));
  hoistedKept++;
};
if (existsSync(hoisted)) {
  for (const name of readdirSync(hoisted)) {
    if (name.startsWith('@')) for (const sub of readdirSync(join(hoisted, name))) keepLink(join(name, sub));
    else if (!name.startsWith('.')) keepLink(name);
  }
}

for (const w of warnings) process.stderr.write(`docker-prune: warning: ${w}\n`);
process.stdout.write(
  `docker-prune: kept ${keptWorkspace.size} workspace packages (${[...keptWorkspace].sort().join(', ')}), ` +
    `${keptPnpm.size} of ${readdirSync(pnpmDir).length - 1} node_modules/.pnpm entries, ${hoistedKept} hoisted links\n`,
);
