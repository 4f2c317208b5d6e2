/** What `up` generates for the directory: its files, the admission list, and every config pointing at it. */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseNodeConfig } from '@mixnet/node';
import { signTopologyDocument, verifyTopologyDocument } from '@mixnet/sphinx/wire';
import { afterAll, describe, expect, it } from 'vitest';
import { checkPlan, generateTestnet, PlanError, SHARED_HOST_CONNECTIONS_PER_IP } from './generate.js';
import { paths } from './layout.js';
import { makeDocument } from './test-support/fake-directory.js';
import { DEFAULT_PLAN } from './testnet.js';

const plan = {
  ...DEFAULT_PLAN,
  layers: 3,
  nodesPerLayer: 2,
  standby: 2,
  gateways: 3,
  standbyGateways: 1,
  epochMs: 5_000,
  // An external chain: the service provider is generated, no hardhat is started.
  chain: 'http://127.0.0.1:1',
};
const json = (file: string) => JSON.parse(readFileSync(file, 'utf8'));
const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'mixnet-gen-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('generating a testnet with a directory', () => {
  it('writes the directory first, admits every identity, and points every process at it', async () => {
    const dir = tmp();
    const { state } = await generateTestnet(dir, plan);
    const p = paths(dir);
    expect(state.processes[0]?.role).toBe('directory');
    expect(state.processes.filter((x) => x.role === 'mix').map((x) => x.id)).toEqual([
      'mix-1-1',
      'mix-1-2',
      'mix-2-1',
      'mix-2-2',
      'mix-3-1',
      'mix-3-2',
      'mix-1-3',
      'mix-2-3',
    ]);
    expect(state).toMatchObject({ nodesPerLayer: 2, standby: 2, activeGateways: 2, epochMs: 5_000 });
    const directory = state.directory as NonNullable<typeof state.directory>;
    expect(directory.url).toBe(state.processes[0]?.url);

    const config = json(p.config('directory'));
    expect(config).toMatchObject({
      role: 'directory',
      epochMs: 5_000,
      layers: 3,
      activePerLayer: 2,
      activeGateways: 2,
    });
    // The admission list is exactly the generated identities: mixes, gateways, the service provider
    // and the network requester.
    const identities = state.processes
      .filter((x) => x.role === 'mix' || x.role === 'gateway')
      .map((x) => readFileSync(join(p.keys(x.id), 'identity.key'), 'utf8').trim());
    expect(config.admission.identityKeys).toHaveLength(identities.length + 2);
    expect(config.admission.identityKeys).toContain(state.serviceProvider?.address);
    expect(config.admission.identityKeys).toContain(state.networkRequester?.address);

    for (const id of ['identity.key', 'admin.token'])
      expect(statSync(join(p.keys('directory'), id)).mode & 0o777).toBe(0o600);
    // The published key is the identity key's: a document it signs verifies against state.directory.
    const secret = Buffer.from(readFileSync(join(p.keys('directory'), 'identity.key'), 'utf8').trim(), 'hex');
    const signed = signTopologyDocument(makeDocument(1, [1, 1, 1]), secret);
    expect(verifyTopologyDocument(signed, { publicKey: Buffer.from(directory.publicKey, 'hex') }).document.epoch).toBe(
      1,
    );

    for (const x of state.processes.filter((q) => q.role === 'mix' || q.role === 'gateway'))
      expect(json(x.configPath as string).directory).toEqual({
        url: directory.url,
        publicKey: directory.publicKey,
        announceMs: 2_500,
      });
    // Service provider and network requester renew their registration at the directory's period.
    for (const id of ['service-provider', 'network-requester'])
      expect(json(p.config(id)).directory).toEqual({
        url: directory.url,
        publicKey: directory.publicKey,
        announceMs: 2_500,
      });
    // The network requester: registered like the service provider, with an exit policy that
    // names the testnet's own host and nothing else (default deny after it).
    const nr = json(p.config('network-requester'));
    expect(nr).toMatchObject({ role: 'network-requester', directory: { url: directory.url } });
    const policy = readFileSync(join(p.config('network-requester'), '..', nr.policyFile), 'utf8');
    expect(policy).toMatch(/^accept 127\.0\.0\.1:\*$/m);
    expect(policy).not.toMatch(/\*:\*/);
    expect(json(p.topology).serviceProviders.map((x: { id: string }) => x.id)).toEqual([
      'service-provider',
      'network-requester',
    ]);
    // Offline, before the first epoch: the generated layout, every mix included.
    expect(json(p.topology).layers.map((l: unknown[]) => l.length)).toEqual([3, 3, 2]);
  });

  it('relays sharing the testnet address take every peer: the per-IP cap is the whole cap (issue 16)', async () => {
    const dir = tmp();
    const { state } = await generateTestnet(dir, plan);
    const relays = state.processes.filter((x) => x.role === 'mix' || x.role === 'gateway');
    expect(relays.length).toBeGreaterThan(0);
    for (const r of relays) {
      const c = parseNodeConfig(json(r.configPath), r.configPath);
      expect(c.inbound.maxConnectionsPerIp).toBe(SHARED_HOST_CONNECTIONS_PER_IP);
      expect(c.inbound.maxConnectionsPerIp).toBeGreaterThanOrEqual(c.inbound.maxConnections);
      // A link used by probes alone stays open between them (not closed after the default 5 minutes).
      expect(c.inbound.idleTimeoutMs).toBeGreaterThanOrEqual(3_600_000);
    }
    // Relays at addresses of their own (a container or pod each) keep the node's default.
    const own = await generateTestnet(tmp(), { ...plan, host: '0.0.0.0' }, async (id, role) => ({
      host: `10.0.0.${relays.length + id.length}`,
      listenHost: '0.0.0.0',
      port: 1789,
      metricsPort: 9100,
      ...(role === 'gateway' ? { websocketPort: 9000 } : {}),
    }));
    const mix = own.state.processes.find((x) => x.role === 'mix');
    expect(json(mix?.configPath as string).inbound).toBeUndefined();
  });

  it('without a directory: no directory process, no directory field', async () => {
    const dir = tmp();
    const { state } = await generateTestnet(dir, { ...plan, directory: false, standby: 0, standbyGateways: 0 });
    expect(state.directory).toBeUndefined();
    expect(state.processes.some((x) => x.role === 'directory')).toBe(false);
    expect(json(state.processes[0]?.configPath as string).directory).toBeUndefined();
  });

  it('--active auto: the directory config carries activeSet; providers leave μ to the document', async () => {
    const dir = tmp();
    const activeSet = { anonymityTargetBits: 5, minWidth: 1, maxWidth: 2, mu: { minMs: 1, maxMs: 100 } };
    const { state } = await generateTestnet(dir, { ...plan, activeSet });
    expect(state.activeSet).toEqual(activeSet);
    const cfg = json(paths(dir).config('directory'));
    expect(cfg.activeSet).toEqual({ mode: 'auto', ...activeSet });
    for (const role of ['service-provider', 'network-requester'])
      expect(json(state.processes.find((x) => x.role === role)?.configPath as string).traffic?.mu).toBeUndefined();
    // Without it, as before: μ pinned in their configs, no activeSet.
    const fixed = await generateTestnet(tmp(), plan);
    expect(
      json(fixed.state.processes.find((x) => x.role === 'service-provider')?.configPath as string).traffic.mu,
    ).toBe(plan.mu);
  });

  it('refuses plans that cannot work, naming the flag', () => {
    const bad = (patch: Partial<typeof plan>, re: RegExp) => {
      expect(() => checkPlan({ ...plan, ...patch })).toThrow(PlanError);
      expect(() => checkPlan({ ...plan, ...patch })).toThrow(re);
    };
    bad({ directory: false }, /--standby .* need the directory/);
    bad({ standbyGateways: 3 }, /--standby-gateways must be an integer from 0 to 2/);
    bad({ epochMs: 500 }, /--epoch must be from 1 s/);
    bad({ nodesPerLayer: 0 }, /--active-per-layer/);
    bad({ standby: -1 }, /--standby must be/);
    // a traced run with a directory is fine: the meta header lists its epochs (trace-meta.ts)
    expect(() => checkPlan({ ...plan, trace: '/tmp/trace' })).not.toThrow();
    const auto = { anonymityTargetBits: 5, minWidth: 1, maxWidth: 2, mu: { minMs: 1, maxMs: 100 } };
    bad({ activeSet: { ...auto, anonymityTargetBits: 0 } }, /--anonymity-target must be above 0/);
    bad({ activeSet: { ...auto, minWidth: 3 } }, /--max-width must be an integer from 3/);
    bad({ activeSet: { ...auto, mu: { minMs: 5, maxMs: 2 } } }, /--mu-min\/--mu-max/);
    bad({ activeSet: auto, directory: false, standby: 0, standbyGateways: 0 }, /--active auto needs the directory/);
  });
});
