/** The directory as a process (`mixnet-directory --config FILE`, what `mixnet run directory` calls). */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { directoryFixture, until } from './test-support/fixtures.js';

const RUN = fileURLToPath(new URL('../dist/run.js', import.meta.url));

function start(configPath: string) {
  const child = spawn(process.execPath, [RUN, '--config', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  const out: string[] = [];
  child.stdout.on('data', (d: Buffer) => out.push(d.toString()));
  child.stderr.on('data', (d: Buffer) => out.push(d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, out, exited };
}

describe('mixnet-directory process', () => {
  it('starts from a config with relative paths, answers /health, and exits 0 on SIGTERM', async () => {
    const fx = directoryFixture();
    mkdirSync(join(fx.dir, 'etc'));
    const config = { ...fx.config, identityKeyFile: '../identity.key', dataDir: '../state', log: { level: 'info' } };
    writeFileSync(join(fx.dir, 'etc', 'directory.json'), JSON.stringify(config));
    const p = start(join(fx.dir, 'etc', 'directory.json'));
    const url = await until(() => /"url":"(http:[^"]+)"/.exec(p.out.join(''))?.[1], 20_000, 'the started line');
    const health = (await (await fetch(`${url}/health`)).json()) as Record<string, unknown>;
    expect(health).toMatchObject({
      status: 'ok',
      role: 'directory',
      publicKey: Buffer.from(fx.publicKey).toString('hex'),
    });
    expect(existsSync(join(fx.dir, 'state', 'epochs'))).toBe(true);
    // The secret key is never in the logs.
    expect(p.out.join('')).not.toContain(Buffer.from(fx.secret).toString('hex'));
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
    expect(existsSync(join(fx.dir, 'state', 'registry.json'))).toBe(true);
  }, 30_000);

  it('exits 1 naming the bad field', async () => {
    const fx = directoryFixture();
    const path = join(fx.dir, 'bad.json');
    writeFileSync(path, JSON.stringify({ ...fx.config, epochMs: -1 }));
    const p = start(path);
    expect(await p.exited).toBe(1);
    expect(p.out.join('')).toMatch(/epochMs/);
  }, 30_000);
});
