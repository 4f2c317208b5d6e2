/**
 * Issue 14 (#18): testnet/scripts/docker-down.sh acts only on the dockerd docker-up.sh started (its
 * marker's pid, start time and boot id, and a dockerd), on that engine's private socket. Another
 * engine (here a fake one that DOCKER_HOST names) gets no request, and a process that merely holds
 * the marker's pid is not signalled.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { type ProcessStart, processStart, sameProcess } from './proc-start.js';

const DOWN = fileURLToPath(new URL('../scripts/docker-down.sh', import.meta.url));
const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const f of cleanup.splice(0)) f();
});

/** A Docker API stand-in on a unix socket that answers 500 and counts what it is asked. */
async function fakeEngine(dir: string): Promise<{ host: string; requests: string[] }> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    res.writeHead(500, { 'content-type': 'application/json' }).end('{"message":"fake engine"}');
  });
  const path = join(dir, 'other-engine.sock');
  await new Promise<void>((resolve) => server.listen(path, resolve));
  cleanup.push(() => server.close());
  return { host: `unix://${path}`, requests };
}

function sleeper(): { child: ChildProcess; pid: number; start: ProcessStart } {
  const child = spawn('sleep', ['120'], { detached: true, stdio: 'ignore' });
  cleanup.push(() => child.kill('SIGKILL'));
  return { child, pid: child.pid as number, start: processStart(child.pid as number) as ProcessStart };
}

async function down(stateDir: string, dockerHost: string) {
  const r = spawnSync('bash', [DOWN], {
    encoding: 'utf8',
    timeout: 60_000,
    env: {
      ...process.env,
      DOCKER_HOST: dockerHost,
      MIXNET_DOCKER_STATE_DIR: stateDir,
      MIXNET_DOCKER_DATA_ROOT: join(stateDir, 'data-root'),
      MIXNET_DOCKER_CACHE_DIR: join(stateDir, 'cache'),
    },
  });
  await new Promise((r) => setTimeout(r, 300)); // any signal sent lands before we look
  return r;
}

describe.runIf(process.platform === 'linux')('docker-down.sh', () => {
  it.each([
    ['a wrong start time', (s: ProcessStart) => ({ ...s, startTicks: String(BigInt(s.startTicks) + 3n) })],
    ['its right start time but no dockerd', (s: ProcessStart) => s],
  ])('leaves another engine and a marker pid with %s alone', async (_, recorded) => {
    const dir = mkdtempSync(join(tmpdir(), 'mixnet-docker-down-'));
    const engine = await fakeEngine(dir);
    const victim = sleeper();
    const r0 = recorded(victim.start);
    writeFileSync(join(dir, 'started-by-mixnet'), `${victim.pid} ${r0.startTicks} ${r0.bootId}\n`);

    const r = await down(dir, engine.host);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/stale marker/);
    expect(engine.requests).toEqual([]);
    expect(victim.child.signalCode).toBeNull();
    expect(sameProcess(victim.pid, victim.start)).toBe(true);
  });
});
