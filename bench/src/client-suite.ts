/**
 * The client's idle cost (issue #5): a client with cover traffic at the default rates (a packet per
 * 20 ms, a loop per 200 ms) against a process-runtime testnet, its CPU share measured in its own
 * process so nothing else is counted.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { downTestnet, upTestnet } from '@mixnet/testnet';
import { type BenchReport, machineInfo } from './results.js';

export interface ClientSuiteOptions {
  seconds?: number;
  log?: (line: string) => void;
}

export async function runClientSuite(opts: ClientSuiteOptions = {}): Promise<{ report: BenchReport }> {
  const seconds = opts.seconds ?? 20;
  const dir = mkdtempSync(join(tmpdir(), 'mixnet-bench-client-'));
  opts.log?.(`client: idle with cover for ${seconds} s…`);
  const state = await upTestnet({ dir, layers: 3, chain: 'none', logLevel: 'warn', skipSmoke: true });
  try {
    const script = join(dir, 'idle.mjs');
    const clientUrl = import.meta.resolve('@mixnet/client');
    writeFileSync(
      script,
      `import { createClient } from ${JSON.stringify(clientUrl)};
const c = await createClient({ topology: ${JSON.stringify(state.topologyPath)} });
await new Promise((r) => setTimeout(r, 2000));
const t0 = process.cpuUsage(); const w0 = performance.now(); const s0 = c.stats();
await new Promise((r) => setTimeout(r, ${seconds * 1000}));
const u = process.cpuUsage(t0); const wall = performance.now() - w0; const s = c.stats();
const sent = s.sent.dropCover + s.sent.loopCover - s0.sent.dropCover - s0.sent.loopCover;
console.log(JSON.stringify({ cpu: (u.user + u.system) / 1000 / wall, perPacketUs: (u.user + u.system) / sent, rate: sent / wall * 1000 }));
await c.close({ flushMs: 0 }); process.exit(0);`,
    );
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
      let text = '';
      child.stdout.on('data', (d: Buffer) => {
        text += d.toString();
      });
      child.on('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`idle client exited with ${code}`))));
    });
    const r = JSON.parse(out.trim()) as { cpu: number; perPacketUs: number; rate: number };
    return {
      report: {
        suite: 'client',
        date: new Date().toISOString(),
        machine: machineInfo(),
        entries: [
          { name: 'client idle with cover: CPU', unit: '% of a core', value: round(r.cpu * 100), extra: 'target < 5%' },
          { name: 'client idle with cover: packets', unit: 'packets/s', value: round(r.rate) },
          { name: 'client idle with cover: CPU per cover packet', unit: 'µs', value: round(r.perPacketUs) },
        ],
      },
    };
  } finally {
    await downTestnet(dir);
    rmSync(dir, { recursive: true, force: true });
  }
}

const round = (x: number) => Math.round(x * 100) / 100;
