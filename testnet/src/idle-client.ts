/**
 * An idle client with cover traffic at the default rates, in a process of its own so that its CPU
 * figure is the client's alone (issue #5: the bench's client suite and the reliability test).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClientOptions } from '@mixnet/client';

/** The built client, as a plain `node` process imports it (not the TypeScript sources tests see). */
const CLIENT_DIST = new URL('../../packages/client/dist/index.js', import.meta.url).href;

export interface IdleClientOptions {
  /** Where the client learns the network (clientNetwork(state)). */
  network: Pick<ClientOptions, 'directory' | 'topology'>;
  /** Measured seconds, after `warmupMs` of running. */
  seconds: number;
  warmupMs?: number;
}

export interface IdleClientResult {
  /** Share of one core. */
  cpu: number;
  /** Cover packets (drop and loop) sent while measured. */
  packets: number;
  /** Loops that came back while measured. */
  loops: number;
  perPacketUs: number;
  packetsPerSecond: number;
}

export async function measureIdleClient(opts: IdleClientOptions): Promise<IdleClientResult> {
  const dir = mkdtempSync(join(tmpdir(), 'mixnet-idle-'));
  const script = join(dir, 'idle.mjs');
  writeFileSync(
    script,
    `import { createClient } from ${JSON.stringify(CLIENT_DIST)};
const c = await createClient(${JSON.stringify(opts.network)});
await new Promise((r) => setTimeout(r, ${opts.warmupMs ?? 2000}));
const t0 = process.cpuUsage(); const w0 = performance.now(); const s0 = c.stats();
await new Promise((r) => setTimeout(r, ${opts.seconds * 1000}));
const u = process.cpuUsage(t0); const wall = performance.now() - w0; const s = c.stats();
const packets = s.sent.dropCover + s.sent.loopCover - s0.sent.dropCover - s0.sent.loopCover;
const cpuUs = u.user + u.system;
console.log(JSON.stringify({ cpu: cpuUs / 1000 / wall, packets, loops: s.received.loops - s0.received.loops, perPacketUs: cpuUs / packets, packetsPerSecond: packets / wall * 1000 }));
await c.close({ flushMs: 0 }); process.exit(0);`,
  );
  try {
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
      let text = '';
      child.stdout.on('data', (d: Buffer) => {
        text += d.toString();
      });
      child.on('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`idle client exited with ${code}`))));
    });
    return JSON.parse(out.trim()) as IdleClientResult;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
