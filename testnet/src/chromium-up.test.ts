/** testnet/scripts/chromium-up.sh: with a Chromium that answers, it installs nothing and says so in one line. */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const UP = fileURLToPath(new URL('../scripts/chromium-up.sh', import.meta.url));

describe('chromium-up.sh', () => {
  it('leaves an installed Chromium alone and prints one line naming it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'chromium-up-'));
    const fake = join(dir, 'chromium');
    writeFileSync(fake, '#!/bin/sh\necho "Chromium 999.0 fake"\n');
    chmodSync(fake, 0o755);
    // PATH without apt-get: were it to try installing, it would fail instead of succeeding.
    const run = spawnSync('bash', [UP], { env: { PATH: '/usr/bin:/bin', MIXNET_CHROMIUM: fake }, encoding: 'utf8' });
    expect(run.status).toBe(0);
    expect(run.stdout.trim().split('\n')).toEqual([`chromium-up: Chromium 999.0 fake already installed (${fake})`]);
  });

  it('fails loudly, naming the binary, when one that is missing cannot be installed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'chromium-up-'));
    const missing = join(dir, 'no-chromium');
    // An empty PATH directory set: no apt-get (and, as non-root, the root check fires first).
    const run = spawnSync('/bin/bash', [UP], { env: { PATH: dir, MIXNET_CHROMIUM: missing }, encoding: 'utf8' });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain(missing);
  });
});
