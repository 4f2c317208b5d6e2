import { describe, expect, it } from 'vitest';
import { type GatewayConfig, parseNodeConfig } from './config.js';
import { gatewayClientUrl } from './node-directory.js';

const gateway = (extra: Record<string, unknown>) =>
  parseNodeConfig({
    role: 'gateway',
    id: 'gateway-1',
    listen: { host: '0.0.0.0', port: 1789 },
    announce: { host: '10.244.1.7', port: 1789 },
    keys: { sphinxPrivateKeyFile: 's.key', identityPrivateKeyFile: 'i.key' },
    dataDir: 'data',
    ...extra,
  }) as GatewayConfig;

describe('gatewayClientUrl', () => {
  it('publishes the announced host with the listener port by default', () => {
    expect(gatewayClientUrl(gateway({ websocket: { host: '0.0.0.0', port: 9000 } }))).toBe('ws://10.244.1.7:9000');
    expect(gatewayClientUrl(gateway({ websocket: { host: '0.0.0.0', port: 0 } }), 41234)).toBe('ws://10.244.1.7:41234');
  });

  it('publishes websocket.announce when set (a NodePort in front of the pod)', () => {
    const c = gateway({ websocket: { host: '0.0.0.0', port: 9000, announce: { host: '192.168.7.2', port: 31001 } } });
    expect(gatewayClientUrl(c, 9000)).toBe('ws://192.168.7.2:31001');
  });

  it('names a bad websocket.announce by its field', () => {
    expect(() => gateway({ websocket: { host: '0.0.0.0', port: 9000, announce: { host: '', port: 1 } } })).toThrow(
      /websocket\.announce/,
    );
  });
});
