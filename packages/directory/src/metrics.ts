/** The directory's Prometheus metrics (prom-client), in a registry of its own so tests can run several. */
import { Counter, Gauge, Registry } from 'prom-client';

export function createDirectoryMetrics(labels: { id: string }) {
  const registry = new Registry();
  registry.setDefaultLabels({ role: 'directory', ...labels });
  const registers = [registry];
  return {
    registry,
    accepted: new Counter({
      name: 'directory_descriptors_accepted_total',
      help: 'Descriptors accepted, by kind',
      labelNames: ['kind'],
      registers,
    }),
    refused: new Counter({
      name: 'directory_descriptors_refused_total',
      help: 'Descriptors refused, by code (docs/directory.md §2)',
      labelNames: ['code'],
      registers,
    }),
    epoch: new Gauge({ name: 'directory_epoch', help: 'The epoch of the current document', registers }),
    published: new Counter({
      name: 'directory_epochs_published_total',
      help: 'Topology documents published',
      registers,
    }),
    score: new Gauge({
      name: 'directory_node_score',
      help: 'Performance score of each registered node (docs/directory.md §3)',
      labelNames: ['node', 'node_role'],
      registers,
    }),
    nodes: new Gauge({ name: 'directory_nodes', help: 'Registered nodes, by state', labelNames: ['state'], registers }),
    rounds: new Counter({ name: 'directory_monitor_rounds_total', help: 'Monitor rounds run', registers }),
    probesSent: new Counter({
      name: 'directory_monitor_packets_sent_total',
      help: 'Monitor test packets sent',
      labelNames: ['node_role'],
      registers,
    }),
    probesReturned: new Counter({
      name: 'directory_monitor_packets_returned_total',
      help: 'Monitor test packets back in time',
      labelNames: ['node_role'],
      registers,
    }),
    // Auto-sizing (docs/directory.md §7), set at each epoch when it is on.
    layerRate: new Gauge({
      name: 'directory_layer_packet_rate',
      help: 'Packets per second into each layer over the last epoch (sum of its mixes)',
      labelNames: ['layer'],
      registers,
    }),
    plannedWidth: new Gauge({ name: 'directory_planned_width', help: 'Active mixes per layer planned', registers }),
    plannedMu: new Gauge({ name: 'directory_planned_mu_ms', help: 'Mean per-hop delay published (ms)', registers }),
    predictedBits: new Gauge({
      name: 'directory_predicted_entropy_bits',
      help: 'Predicted exit entropy of the plan (log2(e·λ·μ), the last layer alone)',
      registers,
    }),
    admin: new Counter({
      name: 'directory_admin_requests_total',
      help: 'Admin requests, by outcome',
      labelNames: ['outcome'],
      registers,
    }),
  };
}

export type DirectoryMetrics = ReturnType<typeof createDirectoryMetrics>;
