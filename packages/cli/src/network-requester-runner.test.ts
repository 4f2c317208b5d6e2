/** `mixnet run network-requester --config FILE` refuses a bad config or policy, naming the field or line. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './test-support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'mixnet-nr-config-'));
const key = join(dir, 'identity.key');
writeFileSync(key, `${'11'.repeat(32)}\n`, { mode: 0o600 });

function config(name: string, fields: Record<string, unknown>): string {
  const file = join(dir, name);
  writeFileSync(
    file,
    JSON.stringify({
      role: 'network-requester',
      id: 'network-requester',
      topology: 'topology.json',
      gateway: 'gateway-1',
      identityKeyFile: key,
      policyFile: 'policy.txt',
      ...fields,
    }),
  );
  return file;
}

describe('mixnet run network-requester: config checks', () => {
  it('names a missing or mistyped field', async () => {
    const missing = config('missing.json', { policyFile: undefined });
    const r1 = await runCli(['run', 'network-requester', '--config', missing], 30_000);
    expect(r1.code).not.toBe(0);
    expect(r1.stderr).toMatch(/policyFile/);

    const typo = config('typo.json', { limits: { window: 10 } });
    const r2 = await runCli(['run', 'network-requester', '--config', typo], 30_000);
    expect(r2.code).not.toBe(0);
    expect(r2.stderr).toMatch(/limits\.window/);
  });

  it('names the line of a bad exit policy, before connecting anywhere', async () => {
    writeFileSync(join(dir, 'bad-policy.txt'), '# ok\naccept 127.0.0.1:*\naccept 300.1.2.3:80\n');
    const file = config('bad-policy.json', { policyFile: 'bad-policy.txt' });
    const r = await runCli(['run', 'network-requester', '--config', file], 30_000);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/policyFile/);
    expect(r.stderr).toMatch(/line 3/);
  });
});
