/**
 * What one container of the docker runtime may touch (issue 14, #17): its own config and the shared
 * topology read-only, its own key folder read-only, its own data folder and log file read-write (the
 * chain: its own folder; traced runs: the trace folder). Never the state folder, so never another
 * node's keys. It runs as a numeric non-root uid that can read its own 0600 keys:
 * - CLI run by root: each container gets its own uid (CONTAINER_UID_BASE + 1 + index, group
 *   CONTAINER_GID), and its key folder, data folder and log are chowned to it;
 * - CLI run by a user: the containers run as that uid:gid, which already owns the files.
 */
import { chmodSync, chownSync, closeSync, existsSync, mkdirSync, openSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type ProcessEntry, paths, type TestnetState } from './layout.js';

export const CONTAINER_UID_BASE = 10_000;
export const CONTAINER_GID = 10_000;

export interface SandboxBind {
  source: string;
  target: string;
  mode: 'ro' | 'rw';
}

export interface ContainerSandbox {
  /** `uid:gid` for `docker run --user`. */
  user: string;
  binds: SandboxBind[];
  /** A writable HOME inside (hardhat keeps small files there); the image's /tmp is world-writable. */
  env: Record<string, string>;
}

function chownTree(path: string, uid: number, gid: number): void {
  chownSync(path, uid, gid);
  if (statSync(path).isDirectory()) for (const name of readdirSync(path)) chownTree(join(path, name), uid, gid);
}

/**
 * Prepares the host files of process `p` (index `index` in the state) for its container and says
 * how to run it. Paths inside are the host's, so relative paths in configs resolve as on the host.
 */
export function prepareSandbox(dir: string, state: TestnetState, p: ProcessEntry, index: number): ContainerSandbox {
  const hostUid = process.getuid?.() ?? 0;
  const asRoot = hostUid === 0;
  const uid = asRoot ? CONTAINER_UID_BASE + 1 + index : hostUid;
  const gid = asRoot ? CONTAINER_GID : (process.getgid?.() ?? CONTAINER_GID);
  const own = (path: string) => {
    if (asRoot) chownTree(path, uid, gid);
  };
  const at = (source: string, mode: 'ro' | 'rw'): SandboxBind => ({ source, target: source, mode });
  const files = paths(dir);
  const binds: SandboxBind[] = [];

  if (p.configPath) {
    own(p.configPath);
    binds.push(at(p.configPath, 'ro'));
  }
  if (existsSync(files.topology)) {
    if (asRoot) chmodSync(files.topology, 0o644); // public, whatever the umask made it
    binds.push(at(files.topology, 'ro'));
  }
  const keys = files.keys(p.id);
  if (existsSync(keys)) {
    own(keys);
    binds.push(at(keys, 'ro'));
  }
  if (p.role === 'chain') {
    mkdirSync(files.chain, { recursive: true });
    own(files.chain);
    binds.push(at(files.chain, 'rw'));
  } else {
    const data = files.data(p.id);
    mkdirSync(data, { recursive: true, mode: 0o700 });
    own(data);
    binds.push(at(data, 'rw'));
  }
  // The process's output goes to its log through the shell inside: a file that must exist to be mounted.
  closeSync(openSync(p.logPath, 'a', 0o640));
  own(p.logPath);
  binds.push(at(p.logPath, 'rw'));
  if (state.trace) {
    // Every traced process writes its own <id>.jsonl here: group-writable, sticky (none removes another's).
    mkdirSync(state.trace, { recursive: true });
    if (asRoot) {
      chownSync(state.trace, 0, CONTAINER_GID);
      chmodSync(state.trace, 0o1770);
    }
    binds.push(at(state.trace, 'rw'));
  }
  return { user: `${uid}:${gid}`, binds, env: { HOME: '/tmp' } };
}
