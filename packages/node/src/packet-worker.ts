/** Worker thread: processes batches of Sphinx packets with the node's key (packet-processor.ts). */
import { parentPort, workerData } from 'node:worker_threads';
import type { BackendName } from '@mixnet/sphinx';
import { type ProcessOutcome, processOne } from './packet-processor.js';

const { privateKey, backend } = workerData as { privateKey: Uint8Array; backend?: BackendName };

parentPort?.on('message', (packets: Uint8Array[]) => {
  const outcomes: ProcessOutcome[] = [];
  const transfer: ArrayBuffer[] = [];
  for (const packet of packets) {
    const outcome = processOne(packet, privateKey, backend);
    if (outcome.kind === 'forward') transfer.push(outcome.packet.buffer as ArrayBuffer);
    else if (outcome.kind === 'final') transfer.push(outcome.payload.buffer as ArrayBuffer);
    outcomes.push(outcome);
  }
  parentPort?.postMessage(outcomes, transfer);
});
