/** Whether a container runs, asked of the docker CLI (used by `status` for the docker runtime). */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export function dockerBin(): string {
  return existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker';
}

export function containerRunning(id: string): boolean {
  const r = spawnSync(dockerBin(), ['inspect', '-f', '{{.State.Running}}', id], { encoding: 'utf8', timeout: 10_000 });
  return r.status === 0 && r.stdout.trim() === 'true';
}
