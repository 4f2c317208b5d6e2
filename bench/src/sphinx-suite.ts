/**
 * The Sphinx hot-path suite (issue #2): create (4 hops, 2065-byte payload) and one-hop process
 * per backend, plus the primitives one hop performs, so the glue overhead is visible as a ratio.
 */
import {
  type CryptoBackend,
  createNativeBackend,
  createNobleBackend,
  createPacket,
  encodeNodeAddress,
  expandSharedSecret,
  generateKeyPair,
  lionessDecryptInPlace,
  NYM_PAYLOAD_SIZES,
  processPacket,
} from '@mixnet/sphinx';
import { Bench } from 'tinybench';
import { type BenchEntry, type BenchReport, machineInfo } from './results.js';

export interface SphinxSuiteOptions {
  /** Milliseconds per task (tinybench `time`). */
  timeMs?: number;
  backends?: ('native' | 'noble')[];
  log?: (line: string) => void;
}

export interface SphinxSuiteResult {
  report: BenchReport;
  /** Median microseconds by task name. */
  medians: Record<string, number>;
}

const HOPS = 4;
const PAYLOAD = NYM_PAYLOAD_SIZES.regular;

export async function runSphinxSuite(opts: SphinxSuiteOptions = {}): Promise<SphinxSuiteResult> {
  const timeMs = opts.timeMs ?? 1000;
  const names = opts.backends ?? ['native', 'noble'];
  const backends: CryptoBackend[] = names.map((n) => (n === 'native' ? createNativeBackend() : createNobleBackend()));
  const route = Array.from({ length: HOPS }, (_, i) => ({
    ...generateKeyPair(),
    address: encodeNodeAddress({ host: `10.0.0.${i + 1}`, port: 1789 }),
  }));
  const message = new Uint8Array(PAYLOAD - 17).fill(7);
  const delaysNs = route.map(() => 15_000_000n);
  const packet = createPacket({ route, delaysNs, destination: new Uint8Array(32), message });
  const first = route[0] as (typeof route)[number];

  const bench = new Bench({ time: timeMs, warmupTime: Math.min(200, timeMs / 2) });
  for (const backend of backends) {
    const b = backend.name;
    const scalar = first.privateKey;
    const point = packet.subarray(0, 32);
    const secret = backend.x25519(scalar, point);
    const expanded = expandSharedSecret(backend, secret);
    const beta = packet.subarray(48, 348);
    const payload = packet.slice(348);
    bench
      .add(`${b}: createPacket (4 hops, 2065)`, () => {
        createPacket({ route, delaysNs, destination: new Uint8Array(32), message, backend });
      })
      .add(`${b}: processPacket (1 hop, 2065)`, () => {
        processPacket(packet, first.privateKey, { backend });
      })
      .add(`${b}: x25519`, () => {
        backend.x25519(scalar, point);
      })
      .add(`${b}: hkdf-sha256 288`, () => {
        expandSharedSecret(backend, secret);
      })
      .add(`${b}: hmac-sha256 300`, () => {
        backend.hmacSha256(expanded.subarray(16, 32), beta);
      })
      .add(`${b}: aes-128-ctr 360`, () => {
        backend.aes128CtrKeystream(expanded.subarray(0, 16), 360);
      })
      .add(`${b}: lioness 2065`, () => {
        lionessDecryptInPlace(backend, expanded.subarray(32, 224), payload);
      });
  }
  opts.log?.(`running ${bench.tasks.length} tasks, ${timeMs} ms each ...`);
  await bench.run();

  const medians: Record<string, number> = {};
  const entries: BenchEntry[] = [];
  for (const task of bench.tasks) {
    const r = task.result;
    if (r.state !== 'completed') throw new Error(`bench task "${task.name}" did not complete (${r.state})`);
    const us = r.latency.p50 * 1000;
    medians[task.name] = us;
    entries.push({
      name: `sphinx/${task.name}`,
      unit: 'us',
      value: round(us),
      extra: `mean ${round(r.latency.mean * 1000)} us, ${r.latency.samplesCount} samples`,
    });
  }
  for (const backend of backends) {
    const b = backend.name;
    const m = (t: string) => medians[`${b}: ${t}`] as number;
    const primitives =
      2 * m('x25519') + m('hkdf-sha256 288') + m('hmac-sha256 300') + m('aes-128-ctr 360') + m('lioness 2065');
    medians[`${b}: primitives of one hop`] = primitives;
    entries.push({ name: `sphinx/${b}: primitives of one hop`, unit: 'us', value: round(primitives) });
    entries.push({
      name: `sphinx/${b}: process ÷ primitives`,
      unit: 'ratio',
      value: round(m('processPacket (1 hop, 2065)') / primitives, 3),
    });
  }
  if (names.includes('native') && names.includes('noble')) {
    const speedup =
      (medians['noble: processPacket (1 hop, 2065)'] as number) /
      (medians['native: processPacket (1 hop, 2065)'] as number);
    entries.push({ name: 'sphinx/native speed-up over noble (process)', unit: 'ratio', value: round(speedup, 1) });
  }
  return {
    medians,
    report: {
      suite: 'sphinx',
      date: new Date().toISOString(),
      machine: machineInfo(),
      statistic: 'median',
      entries,
    },
  };
}

function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
