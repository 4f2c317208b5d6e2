/**
 * The monitor's real probes: one client SDK probe client per gateway (so each gateway is tested as
 * entry and egress), all under one identity of the monitor's. A probe client is made on the first
 * probe through its gateway and kept, reconnecting by itself, while the gateway stays registered.
 */
import { createProbeClient, type ProbeClient } from '@mixnet/client';
import type { BackendChoice } from '@mixnet/sphinx';
import { routeHop } from '@mixnet/sphinx/wire';
import type { ProbeRoute } from './monitor.js';

export interface ProberOptions {
  /** 32-byte Ed25519 secret: the monitor's address at every gateway. */
  identity: Uint8Array;
  muMs: number;
  crypto?: BackendChoice;
}

export interface Prober {
  probe(route: ProbeRoute, timeoutMs: number): Promise<boolean>;
  /** Closes the clients of gateways not in `ids`. */
  retain(ids: ReadonlySet<string>): Promise<void>;
  close(): Promise<void>;
}

export function createProber(opts: ProberOptions): Prober {
  const clients = new Map<string, { url: string; client: ProbeClient }>();

  const clientFor = (route: ProbeRoute): ProbeClient => {
    const g = route.gateway;
    const known = clients.get(g.id);
    if (known && known.url === g.clientUrl) return known.client;
    if (known) void known.client.close();
    const client = createProbeClient({
      gateway: g,
      identity: opts.identity,
      muMs: opts.muMs,
      ...(opts.crypto ? { crypto: opts.crypto } : {}),
    });
    clients.set(g.id, { url: g.clientUrl, client });
    return client;
  };

  return {
    async probe(route, timeoutMs) {
      const client = clientFor(route);
      if (!client.connected) {
        // A fresh client is still logging in: wait for that, within the probe's time.
        let timer: NodeJS.Timeout | undefined;
        const waited = await Promise.race([
          client.ready.then(
            () => true,
            () => false,
          ),
          new Promise<boolean>((r) => {
            timer = setTimeout(() => r(false), timeoutMs);
          }),
        ]);
        clearTimeout(timer);
        if (!waited || !client.connected) return false;
      }
      try {
        return await client.probe([...route.mixes.map(routeHop), routeHop(route.gateway)], timeoutMs);
      } catch {
        return false; // an unusable route (e.g. a key that is not a point): the probe failed
      }
    },
    async retain(ids) {
      const gone = [...clients].filter(([id]) => !ids.has(id));
      for (const [id] of gone) clients.delete(id);
      await Promise.all(gone.map(([, c]) => c.client.close()));
    },
    async close() {
      const all = [...clients.values()];
      clients.clear();
      await Promise.all(all.map((c) => c.client.close()));
    },
  };
}
