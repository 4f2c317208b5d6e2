/**
 * Issue 18: the cluster scripts (testnet/scripts/k8s-*.sh) without starting a cluster: they parse
 * (and pass shellcheck where it is installed), refuse bad arguments with a usage line, and
 * k8s-down.sh acts only on what k8s-up.sh recorded: a pid file whose start time no longer matches is
 * not signalled, and without k8s-up.sh's record of the host (host.saved) nothing host-wide is touched.
 * The state and data folders here are temporary ones, so a cluster running on this machine is safe.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { type ProcessStart, processStart, sameProcess } from './proc-start.js';

const SCRIPTS = fileURLToPath(new URL('../scripts/', import.meta.url));
const script = (name: string) => join(SCRIPTS, name);
const K8S_SCRIPTS = readdirSync(SCRIPTS).filter((f) => /^k8s-.*\.sh$/.test(f));
const isRoot = process.getuid?.() === 0;
const hasShellcheck = spawnSync('shellcheck', ['--version']).status === 0;

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const f of cleanup.splice(0)) f();
});

/** Temporary state, data and cache folders: the scripts never see the machine's real ones. */
function tempEnv(): { dir: string; env: NodeJS.ProcessEnv } {
  const dir = mkdtempSync(join(tmpdir(), 'mixnet-k8s-scripts-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  return {
    dir,
    env: {
      ...process.env,
      MIXNET_K8S_STATE_DIR: join(dir, 'state'),
      MIXNET_K8S_DATA_ROOT: join(dir, 'data'),
      MIXNET_K8S_CACHE: join(dir, 'cache'),
    },
  };
}

function run(name: string, args: string[], env: NodeJS.ProcessEnv = process.env) {
  return spawnSync('bash', [script(name), ...args], { encoding: 'utf8', timeout: 60_000, env });
}

describe.runIf(process.platform === 'linux')('k8s scripts', () => {
  it('has the scripts the issue names', () => {
    for (const s of ['k8s-up.sh', 'k8s-down.sh', 'k8s-load-image.sh', 'k8s-build.sh']) {
      expect(K8S_SCRIPTS).toContain(s);
    }
  });

  it.each(K8S_SCRIPTS)('%s parses (bash -n; shellcheck where installed)', (name) => {
    const r = spawnSync('bash', ['-n', script(name)], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    if (hasShellcheck) {
      const sc = spawnSync('shellcheck', ['-x', `testnet/scripts/${name}`], {
        encoding: 'utf8',
        cwd: join(SCRIPTS, '..', '..'),
      });
      expect(sc.status, sc.stdout).toBe(0);
    }
  });

  it.each([
    ['k8s-up.sh', ['--bogus']],
    ['k8s-down.sh', ['extra']],
    ['k8s-load-image.sh', []],
    ['k8s-load-image.sh', ['--tar']],
    ['k8s-load-image.sh', ['--tar', 'a', 'b']],
    ['k8s-load-image.sh', ['--force', 'mixnet-testnet']],
    ['k8s-addons.sh', ['nope']],
  ])('%s %j: a usage line and exit status 2', (name, args) => {
    const r = run(name, args as string[], tempEnv().env);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^usage: /m);
  });

  it('k8s-build.sh replaces exactly the local (staging, ../) modules of a go.mod, not FORBIDDEN ones', () => {
    const { dir, env } = tempEnv();
    const gomod = join(dir, 'go.mod');
    writeFileSync(
      gomod,
      [
        'module k8s.io/kubernetes',
        '',
        'require (',
        '\tk8s.io/api v0.0.0',
        '\tgithub.com/x/y v1.2.3',
        ')',
        '',
        'replace (',
        '\tk8s.io/api => ./staging/src/k8s.io/api',
        '\tk8s.io/apimachinery => ./staging/src/k8s.io/apimachinery',
        '\tgithub.com/x/y => github.com/x/y v1.2.4',
        ')',
        '',
        'replace go.etcd.io/etcd/api/v3 => ../api',
        'replace go.etcd.io/etcd => ./FORBIDDEN_DEPENDENCY',
        'replace k8s.io/remote => k8s.io/remote v0.1.0',
        '',
      ].join('\n'),
    );
    const r = run('k8s-build.sh', ['--replaces', gomod], env);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual(['k8s.io/api', 'k8s.io/apimachinery', 'go.etcd.io/etcd/api/v3']);
  });

  it('k8s-up.sh --help describes the script', () => {
    const r = run('k8s-up.sh', ['--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/two-node Kubernetes cluster/);
    expect(r.stdout).toMatch(/k8s-down\.sh/);
  });

  it('k8s-load-image.sh names a missing tarball', () => {
    const r = run('k8s-load-image.sh', ['--tar', '/nonexistent/image.tar'], tempEnv().env);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/no such file: \/nonexistent\/image\.tar/);
  });

  it.runIf(isRoot)('k8s-load-image.sh says how to start the cluster when its containerd is not running', () => {
    const r = run('k8s-load-image.sh', ['mixnet-testnet'], tempEnv().env);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/containerd is not running: start the cluster with testnet\/scripts\/k8s-up\.sh/);
  });

  it.runIf(isRoot)('k8s-down.sh with nothing started has nothing to do', () => {
    const r = run('k8s-down.sh', [], tempEnv().env);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/nothing to do/);
  });

  it.runIf(isRoot)(
    'k8s-down.sh signals no process whose recorded start time differs, and leaves the host alone without a record',
    async () => {
      const { dir, env } = tempEnv();
      const pids = join(dir, 'state', 'pids');
      mkdirSync(pids, { recursive: true });
      const victims: { child: ChildProcess; pid: number; start: ProcessStart }[] = [];
      for (const name of ['etcd', 'kube-apiserver', 'kubelet-2', 'containerd-1']) {
        const child = spawn('sleep', ['120'], { detached: true, stdio: 'ignore' });
        cleanup.push(() => child.kill('SIGKILL'));
        const pid = child.pid as number;
        const start = processStart(pid) as ProcessStart;
        victims.push({ child, pid, start });
        // A pid reused by another process: same pid, another start time.
        writeFileSync(join(pids, name), `${pid} ${BigInt(start.startTicks) + 7n} ${start.bootId}\n`);
      }
      const r = run('k8s-down.sh', [], env);
      await new Promise((res) => setTimeout(res, 300)); // any signal sent lands before we look
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/left the host alone/);
      for (const v of victims) {
        expect(v.child.signalCode).toBeNull();
        expect(sameProcess(v.pid, v.start)).toBe(true);
      }
      expect(existsSync(join(dir, 'state'))).toBe(false);
    },
  );
});
