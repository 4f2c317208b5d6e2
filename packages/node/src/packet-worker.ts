/** Worker thread: processes batches of Sphinx packets with the node's key (packet-processor.ts). */
import { parentPort, workerData } from 'node:worker_threads';
import type { BackendName } from '@mixnet/sphinx';
import { decodePackets, encodeOutcomes } from './batch-codec.js';
import { type ProcessOutcome, processOne } from './packet-processor.js';

const { privateKey, ...opts } = workerData as {
  privateKey: Uint8Array;
  backend?: BackendName;
  allowLegacyVersions: boolean;
};

parentPort?.on('message', (batch: Uint8Array) => {
  const outcomes: ProcessOutcome[] = decodePackets(batch).map((packet) => processOne(packet, privateKey, opts));
  const out = encodeOutcomes(outcomes);
  parentPort?.postMessage(out, [out.buffer as ArrayBuffer]);
});
