/**
 * Which Docker engine the docker runtime talks to, and whether a container runs (used by `status`).
 * testnet/scripts/docker-up.sh runs its own engine on a private socket and names it in its env file
 * (DOCKER_HOST=…); what the user set wins over that file.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export function dockerBin(): string {
  return existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker';
}

/** docker-up.sh's env file (MIXNET_DOCKER_STATE_DIR, default /run/mixnet-docker). */
export function dockerEnvFile(): string {
  return join(process.env.MIXNET_DOCKER_STATE_DIR ?? '/run/mixnet-docker', 'env');
}

/** Settings docker-up.sh leaves for us (its engine's DOCKER_HOST, base image, testcontainers switches). */
export function dockerEnv(): Record<string, string> {
  const out: Record<string, string> = {};
  const file = dockerEnvFile();
  if (!existsSync(file)) return out;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^(?:export\s+)?([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m) out[m[1] as string] = (m[2] as string).replace(/^['"]|['"]$/g, '');
  }
  return out;
}

/** Points this process (and the docker CLIs and testcontainers it starts) at docker-up.sh's engine, unless the user chose one. */
export function useDockerEngine(): void {
  const defaults = { TESTCONTAINERS_RYUK_DISABLED: 'true', TESTCONTAINERS_HOST_OVERRIDE: 'localhost', ...dockerEnv() };
  for (const [k, v] of Object.entries(defaults)) process.env[k] ??= v;
}

export function containerRunning(id: string): boolean {
  useDockerEngine();
  const r = spawnSync(dockerBin(), ['inspect', '-f', '{{.State.Running}}', id], { encoding: 'utf8', timeout: 10_000 });
  return r.status === 0 && r.stdout.trim() === 'true';
}

/** Frozen by `docker pause` (`testnet pause`). */
export function containerPaused(id: string): boolean {
  useDockerEngine();
  const r = spawnSync(dockerBin(), ['inspect', '-f', '{{.State.Paused}}', id], { encoding: 'utf8', timeout: 10_000 });
  return r.status === 0 && r.stdout.trim() === 'true';
}
