/** The exit policy (exit-policy.ts) as the network requester asks it: why not, or undefined when allowed. */
import { checkResolved, type ExitPolicy } from './exit-policy.js';
import type { ExitGate } from './upstream.js';

export function exitGateFromPolicy(policy: ExitPolicy): ExitGate {
  return {
    checkName(host, port) {
      const v = policy.check({ host, port });
      return v.allowed ? undefined : v.message;
    },
    checkResolved(host, ips, port) {
      const v = checkResolved(policy, host, ips, port);
      return v.allowed ? undefined : v.message;
    },
  };
}
