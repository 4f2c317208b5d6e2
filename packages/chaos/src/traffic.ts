/**
 * A scenario's traffic: `messages` reuses the testnet's tagged message stream (heal-traffic.ts),
 * one stream per sending client into one receiver; `relay-tx` signs transfers locally (nonces in
 * order) and sends each as one eth_sendRawTransaction through the service provider, so every
 * message is a chain write whose answer is its hash.
 */
import { createMixnetProvider, type MixnetClient } from '@mixnet/client';
import { createTrafficFlow, DEV_ACCOUNT_PRIVATE_KEY, type MessageRecord } from '@mixnet/testnet';
import { privateKeyToAccount } from 'viem/accounts';
import type { TrafficSpec } from './scenario-schema.js';

export type { MessageRecord };

export interface Traffic {
  /** Every message of every stream, in send order. */
  records(): MessageRecord[];
  /** Stops sending; waits for stragglers up to `drainMs`. */
  stop(drainMs: number): Promise<void>;
  /** relay-tx: transactions the chain counted from our account during the run (for exactly-once). */
  chainCount?(): Promise<number | undefined>;
}

export interface TrafficOptions {
  spec: TrafficSpec;
  senders: MixnetClient[];
  receiver?: MixnetClient;
  serviceProvider?: string;
}

export function startMessages(o: TrafficOptions & { receiver: MixnetClient }): Traffic {
  const flows = o.senders.map((from) =>
    createTrafficFlow({ from, to: o.receiver, rateHz: o.spec.rate / o.senders.length, sizes: o.spec.size }),
  );
  return {
    records: () => flows.flatMap((f) => [...f.records]).sort((a, b) => a.sentAt - b.sentAt),
    stop: async (drainMs) => {
      await Promise.all(flows.map((f) => f.stop(drainMs)));
    },
  };
}

/** Hardhat's dev account #0 signs; nonces are assigned at send time, in order. */
export async function startRelayTx(o: TrafficOptions & { serviceProvider: string }): Promise<Traffic> {
  const client = o.senders[0] as MixnetClient;
  const provider = createMixnetProvider({ client, serviceProvider: o.serviceProvider, timeoutMs: 30_000 });
  const account = privateKeyToAccount(DEV_ACCOUNT_PRIVATE_KEY);
  const chainId = Number(await provider.request({ method: 'eth_chainId' }));
  const nonceOf = async () =>
    Number(await provider.request({ method: 'eth_getTransactionCount', params: [account.address, 'pending'] }));
  const firstNonce = await nonceOf();
  let nonce = firstNonce;
  const records: MessageRecord[] = [];
  const pending = new Set<Promise<void>>();
  let stopped = false;
  // A transfer that failed may or may not have reached the chain: until the account's nonce is read
  // again, later transfers would carry a gap the chain refuses (hardhat automines, it queues nothing).
  let resync: Promise<void> | undefined;
  const sendOne = async (r: MessageRecord, n: number) => {
    const tx = await account.signTransaction({
      chainId,
      nonce: n,
      to: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
      value: 1n,
      gas: 21_000n,
      gasPrice: 10_000_000_000n,
      type: 'legacy',
    });
    try {
      await provider.request({ method: 'eth_sendRawTransaction', params: [tx] });
      r.receivedAt = Date.now();
      r.ackedAt = r.receivedAt;
      r.deliveries = 1;
    } catch (err) {
      r.error = (err as Error).message;
      resync ??= nonceOf().then(
        (n) => {
          nonce = n;
          resync = undefined;
        },
        () => {
          resync = undefined;
        },
      );
    }
  };
  const gapMs = 1000 / o.spec.rate;
  const timer = setInterval(() => {
    if (stopped || pending.size >= 50 || resync) return;
    const r: MessageRecord = { seq: records.length, phase: 'run', bytes: 0, sentAt: Date.now(), deliveries: 0 };
    records.push(r);
    const p = sendOne(r, nonce++);
    pending.add(p);
    void p.finally(() => pending.delete(p));
  }, gapMs);
  return {
    records: () => [...records],
    async stop(drainMs) {
      stopped = true;
      clearInterval(timer);
      const deadline = Date.now() + drainMs;
      while (pending.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    },
    async chainCount() {
      try {
        return (await nonceOf()) - firstNonce;
      } catch {
        return undefined;
      }
    },
  };
}
