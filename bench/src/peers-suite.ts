/**
 * Ours against Nym's own sphinx-packet 0.6.0 (issue #3): create (4 hops, 2065-byte payload) and
 * one-hop process, in interleaved rounds within one run, timed the same way on both sides (each
 * iteration timed alone, median taken; the crate times itself in-process, so no pipe cost counts).
 */
import {
  type CryptoBackend,
  createNativeBackend,
  createNobleBackend,
  createPacket,
  encodeNodeAddress,
  generateKeyPair,
  NYM_PAYLOAD_SIZES,
  processPacket,
} from '@mixnet/sphinx';
import { ensureNymPeerBuilt, startNymPeer } from '../peers/nym-sphinx/peer.js';
import { type BenchEntry, type BenchReport, machineInfo } from './results.js';
import { median } from './stats.js';

export interface PeersSuiteOptions {
  rounds?: number;
  /** Iterations per round for the native backend and the crate (noble runs a tenth). */
  iterations?: number;
  log?: (line: string) => void;
}

export interface PeersRow {
  impl: string;
  createUs: number;
  processUs: number;
}

export interface PeersSuiteResult {
  rows: PeersRow[];
  report: BenchReport;
}

const HOPS = 4;
const PAYLOAD = NYM_PAYLOAD_SIZES.regular;

/** Median of per-iteration times in µs, after a warm-up of a tenth (as the crate's harness does). */
function timeEach(iterations: number, fn: () => void): number {
  const warmup = Math.min(50, Math.max(3, Math.floor(iterations / 10)));
  for (let i = 0; i < warmup; i++) fn();
  const samples: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const t0 = process.hrtime.bigint();
    fn();
    samples.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  return median(samples);
}

function oursRound(backend: CryptoBackend, iterations: number): { create: number; process: number } {
  const route = Array.from({ length: HOPS }, (_, i) => ({
    ...generateKeyPair({ backend }),
    address: encodeNodeAddress({ host: `10.0.0.${i + 1}`, port: 1789 }),
  }));
  const opts = {
    route,
    delaysNs: route.map((_, i) => BigInt(10_000_000 * (i + 1))),
    destination: new Uint8Array(32).fill(0xd0),
    message: new Uint8Array(PAYLOAD - 17).fill(0x42),
    payloadSize: PAYLOAD,
    backend,
  };
  const create = timeEach(iterations, () => createPacket(opts));
  const packet = createPacket(opts);
  const key = (route[0] as (typeof route)[number]).privateKey;
  const processUs = timeEach(iterations, () => processPacket(packet, key, { backend }));
  return { create, process: processUs };
}

export async function runPeersSuite(opts: PeersSuiteOptions = {}): Promise<PeersSuiteResult> {
  const rounds = opts.rounds ?? 5;
  const iterations = opts.iterations ?? 2000;
  await ensureNymPeerBuilt({ log: opts.log });
  const nym = await startNymPeer();
  const impls: { name: string; run: () => Promise<{ create: number; process: number }> }[] = [
    { name: 'ours (native)', run: async () => oursRound(createNativeBackend(), iterations) },
    {
      name: 'ours (noble)',
      run: async () => oursRound(createNobleBackend(), Math.max(20, Math.floor(iterations / 20))),
    },
    {
      name: 'nym sphinx-packet 0.6.0 (Rust)',
      run: async () => {
        const params = { payloadSize: PAYLOAD, hops: HOPS, iterations };
        const c = await nym.bench({ ...params, what: 'create' });
        const p = await nym.bench({ ...params, what: 'process' });
        return { create: c.medianNs / 1000, process: p.medianNs / 1000 };
      },
    },
  ];
  const samples = new Map(impls.map((i) => [i.name, { create: [] as number[], process: [] as number[] }]));
  try {
    for (let round = 1; round <= rounds; round++) {
      // Interleaved: every implementation once per round, so drift on the machine hits all alike.
      for (const impl of impls) {
        const r = await impl.run();
        const s = samples.get(impl.name) as { create: number[]; process: number[] };
        s.create.push(r.create);
        s.process.push(r.process);
      }
      opts.log?.(`round ${round}/${rounds} done`);
    }
  } finally {
    await nym.close();
  }
  const rows = impls.map(({ name }) => {
    const s = samples.get(name) as { create: number[]; process: number[] };
    return { impl: name, createUs: median(s.create), processUs: median(s.process) };
  });
  const nymRow = rows[2] as PeersRow;
  const entries: BenchEntry[] = [];
  for (const row of rows) {
    const key = row.impl.startsWith('nym') ? 'nym' : row.impl.includes('native') ? 'native' : 'noble';
    entries.push({ name: `peers/${key}: create (4 hops, 2065)`, unit: 'us', value: round2(row.createUs) });
    entries.push({ name: `peers/${key}: process (1 hop, 2065)`, unit: 'us', value: round2(row.processUs) });
    if (key !== 'nym') {
      entries.push({
        name: `peers/${key}: create ÷ nym`,
        unit: 'ratio',
        value: round2(row.createUs / nymRow.createUs, 3),
      });
      entries.push({
        name: `peers/${key}: process ÷ nym`,
        unit: 'ratio',
        value: round2(row.processUs / nymRow.processUs, 3),
      });
    }
  }
  return {
    rows,
    report: {
      suite: 'peers',
      date: new Date().toISOString(),
      machine: machineInfo(),
      statistic: 'median of round medians',
      entries,
    },
  };
}

function round2(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
