/** Worker thread: processes batches of Sphinx packets with the node's keys (packet-processor.ts). */
import { parentPort, workerData } from 'node:worker_threads';
import type { BackendName } from '@mixnet/sphinx';
import { decodePackets, encodeOutcomes } from './batch-codec.js';
import {
  type ProcessingKey,
  type ProcessOutcome,
  packetOptions,
  processOne,
  type WorkerKeysMessage,
} from './packet-processor.js';

const data = workerData as { keys: ProcessingKey[]; backend?: BackendName; allowLegacyVersions: boolean };
const options = packetOptions(data);
let keys = data.keys;

parentPort?.on('message', (message: Uint8Array | WorkerKeysMessage) => {
  if (!(message instanceof Uint8Array)) {
    keys = message.keys;
    return;
  }
  const outcomes: ProcessOutcome[] = decodePackets(message).map((packet) => processOne(packet, keys, options));
  const out = encodeOutcomes(outcomes);
  parentPort?.postMessage(out, [out.buffer as ArrayBuffer]);
});
