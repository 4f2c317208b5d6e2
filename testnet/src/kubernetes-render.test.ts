import { loadAllYaml } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { renderKubernetesManifests } from './kubernetes-render.js';

describe('renderKubernetesManifests', () => {
  it('prints one YAML stream of every object, the namespace first, with fixed NodePorts', async () => {
    const r = await renderKubernetesManifests({
      layers: 2,
      nodesPerLayer: 2,
      gateways: 2,
      namespace: 'lab',
      spread: true,
    });
    const docs = loadAllYaml(r.yaml) as {
      kind: string;
      metadata: { name: string; namespace?: string };
      spec?: { ports: { nodePort?: number }[] };
    }[];
    expect(docs.map((d) => d.kind)).toEqual(r.objects.map((o) => o.kind));
    expect(docs[0]).toMatchObject({ kind: 'Namespace', metadata: { name: 'lab' } });
    const svc = (name: string) => docs.find((d) => d.kind === 'Service' && d.metadata.name === name)?.spec;
    expect(svc('directory')?.ports[0].nodePort).toBe(30780);
    expect(svc('gateway-2')?.ports[0].nodePort).toBe(30782);
    expect(r.directory).toMatchObject({ nodePort: 30780 });
    expect(r.directory.publicKey).toMatch(/^[0-9a-f]{64}$/);
    // Pods reach the directory by its Service's DNS name (no ClusterIP known without a cluster).
    const mix = docs.find((d) => d.kind === 'ConfigMap' && d.metadata.name === 'mix-1-1-config') as unknown as {
      data: Record<string, string>;
    };
    expect(JSON.parse(mix.data['config.json'] as string).directory.url).toBe(
      'http://directory.lab.svc.cluster.local:8080',
    );
    const gw = docs.find((d) => d.kind === 'ConfigMap' && d.metadata.name === 'gateway-2-config') as unknown as {
      data: Record<string, string>;
    };
    expect(JSON.parse(gw.data['config.json'] as string).websocket.announce.port).toBe(30782);
  });

  it('refuses what cannot run on a cluster, naming the flag', async () => {
    await expect(renderKubernetesManifests({ directory: false })).rejects.toThrow(/--no-directory/);
    await expect(renderKubernetesManifests({ chain: 'http://127.0.0.1:8545' })).rejects.toThrow(/loopback/);
  });
});
