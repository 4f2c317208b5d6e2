/**
 * The faults a timeline applies, through the testnet's faults API (testnet/src/faults.ts: the
 * nodes' /admin/faults with the testnet's token; SIGSTOP/SIGCONT or docker pause). One seam, so
 * the timeline is tested without a network.
 */
import { clearNodeFaults, type FaultRule, pauseNode, restartNode, resumeNode, setNodeFaults } from '@mixnet/testnet';

export interface FaultControl {
  /** Replaces the node's whole live rule set. */
  set(id: string, rules: readonly FaultRule[]): Promise<void>;
  clear(id: string): Promise<void>;
  pause(id: string): Promise<void>;
  resume(id: string): Promise<void>;
  restart(id: string): Promise<void>;
}

export function createFaultControl(dir: string): FaultControl {
  return {
    set: async (id, rules) => void (await setNodeFaults(dir, id, rules)),
    clear: async (id) => void (await clearNodeFaults(dir, id)),
    pause: async (id) => void (await pauseNode(dir, id)),
    resume: async (id) => void (await resumeNode(dir, id)),
    restart: async (id) => void (await restartNode(dir, id)),
  };
}
