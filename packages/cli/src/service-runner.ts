/**
 * What the service processes (service provider, network requester) share around their client:
 * log lines for its directory and gateway events, and the /health and /metrics endpoint.
 */
import type { ClientEvent, MixnetClient, RegistrationResult } from '@mixnet/client';
import { type Logger, serveObservability } from '@mixnet/node';

export type ServiceNetworkEvent =
  | { type: 'registration'; result: RegistrationResult }
  | { type: 'network'; event: ClientEvent };

/** Logs a service's registrations (a line per change of gateway) and its client's network events. */
export function networkEventLogger(logger: Logger): (e: ServiceNetworkEvent) => void {
  let registered: string | undefined;
  return (e) => {
    if (e.type === 'registration') {
      const r = e.result;
      if (!r.accepted)
        logger.warn({ code: r.code, gateway: r.gateway }, `directory refused the registration: ${r.message}`);
      else if (registered !== r.gateway)
        logger.info({ gateway: r.gateway, epoch: r.epoch }, 'registered with the directory');
      registered = r.accepted ? r.gateway : undefined;
      return;
    }
    const n = e.event;
    if (n.type === 'directory-unreachable')
      logger.warn(
        { epoch: n.epoch, reason: n.reason },
        `directory unreachable, keeping epoch ${n.epoch ?? '(fallback topology)'}`,
      );
    else if (n.type === 'directory-reachable') logger.info({ epoch: n.epoch }, 'directory reachable again');
    else if (n.type === 'document-refused') logger.warn({ code: n.code, epoch: n.epoch }, n.message);
    else if (n.type === 'gateway-changed')
      logger.warn({ from: n.from, to: n.to, reason: n.reason }, 'moved to another gateway');
    else if (n.type === 'gateway-move-failed')
      logger.warn({ from: n.from, tried: n.tried }, 'no other gateway would take us');
    else if (n.type === 'topology') logger.debug({ epoch: n.epoch, stale: n.stale }, 'topology');
  };
}

export interface ServiceObservabilityOptions {
  role: string;
  id: string;
  /** Read at each request: the address changes when the service moves gateway. */
  service: { readonly client: MixnetClient; readonly address: string };
  /** The service's own Prometheus lines; the client's counters are added after them. */
  metrics: () => string[];
}

/** /health (ok while the client is connected to its gateway) and /metrics for a service. */
export function serveServiceObservability(listen: { host: string; port: number }, o: ServiceObservabilityOptions) {
  const { client } = o.service;
  return serveObservability(listen, {
    health: () => ({
      ok: client.connected,
      body: { status: client.connected ? 'ok' : 'disconnected', role: o.role, id: o.id, address: o.service.address },
    }),
    metrics: () => {
      const c = client.stats();
      return [
        ...o.metrics(),
        `mixnet_client_packets_sent_total{kind="real"} ${c.sent.real}`,
        `mixnet_client_packets_sent_total{kind="reply"} ${c.sent.replies}`,
        `mixnet_client_packets_sent_total{kind="drop_cover"} ${c.sent.dropCover}`,
        `mixnet_client_packets_sent_total{kind="loop_cover"} ${c.sent.loopCover}`,
        `mixnet_client_retransmissions_total ${c.retransmissions}`,
        '',
      ].join('\n');
    },
  });
}
