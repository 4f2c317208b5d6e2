import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { podReady, podTrouble } from './kube-api.js';
import { LABELS } from './kubernetes-manifests.js';
import { currentPod, recordPod } from './kubernetes-runtime.js';
import type { KubernetesState, ProcessEntry } from './layout.js';

const pod = (name: string, o: { created: string; deleting?: boolean; ready?: boolean; waiting?: string }): V1Pod => ({
  metadata: {
    name,
    labels: { [LABELS.id]: 'mix-1-1' },
    creationTimestamp: new Date(o.created),
    ...(o.deleting ? { deletionTimestamp: new Date(o.created) } : {}),
  },
  spec: { nodeName: 'node-b', containers: [] },
  status: {
    podIP: '10.244.1.9',
    conditions: [{ type: 'Ready', status: o.ready ? 'True' : 'False' }],
    ...(o.waiting
      ? {
          containerStatuses: [
            {
              name: 'mix',
              image: 'x',
              imageID: '',
              ready: false,
              restartCount: 0,
              state: { waiting: { reason: o.waiting } },
            },
          ],
        }
      : {}),
  },
});

const k: KubernetesState = {
  namespace: 'ns',
  runId: 'r',
  image: 'mixnet-testnet',
  spread: true,
  createdNamespace: true,
  nodeAddress: '192.168.50.1',
  nodePorts: { directory: 30100, gateways: { 'gateway-1': 30101 } },
};

describe('kubernetes pods', () => {
  it('takes the newest pod not being deleted as the node’s current one', () => {
    const pods = [
      pod('old', { created: '2026-01-01T00:00:00Z', ready: true }),
      pod('new', { created: '2026-01-01T00:01:00Z', ready: false }),
      pod('dying', { created: '2026-01-01T00:02:00Z', deleting: true, ready: true }),
    ];
    expect(currentPod(pods, 'mix-1-1')?.metadata?.name).toBe('new');
    expect(currentPod(pods, 'mix-9-9')).toBeUndefined();
    // A pod being deleted is not Ready, whatever its last condition said.
    expect(podReady(pods[2] as V1Pod)).toBe(false);
    expect(podReady(pods[0] as V1Pod)).toBe(true);
  });

  it('records where a pod runs and what outside clients dial', () => {
    const mix: ProcessEntry = { id: 'mix-1-1', role: 'mix', metricsUrl: 'http://__POD_IP__:9100', logPath: 'x' };
    recordPod(mix, pod('p1', { created: '2026-01-01T00:00:00Z' }), k);
    expect(mix).toMatchObject({
      pod: 'p1',
      node: 'node-b',
      address: '10.244.1.9:1789',
      metricsUrl: 'http://10.244.1.9:9100',
    });
    const gw: ProcessEntry = { id: 'gateway-1', role: 'gateway', metricsUrl: '', logPath: 'x' };
    recordPod(gw, pod('p2', { created: '2026-01-01T00:00:00Z' }), k);
    expect(gw.url).toBe('ws://192.168.50.1:30101');
  });

  it('says why a pod cannot start', () => {
    expect(podTrouble(pod('p', { created: '2026-01-01T00:00:00Z', waiting: 'ErrImageNeverPull' }))).toMatch(
      /ErrImageNeverPull/,
    );
    expect(podTrouble(pod('p', { created: '2026-01-01T00:00:00Z', waiting: 'ContainerCreating' }))).toBeUndefined();
  });
});
