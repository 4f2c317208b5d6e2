/** A node's link fault rule (round-2 contract, GET/PUT /admin/faults). */
export interface FaultRule {
  id?: string;
  /** Node ids; absent = every link. */
  peers?: string[];
  direction?: 'out' | 'in' | 'both';
  latencyMs?: number;
  jitterMs?: number;
  lossRate?: number;
  corruptRate?: number;
  bandwidthBps?: number;
  partition?: boolean;
  /** Epoch ms; the node removes the rule after. */
  expiresAt?: number;
}
