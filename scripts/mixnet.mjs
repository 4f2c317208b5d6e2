#!/usr/bin/env node
/**
 * `npx --yes pnpm@9 -s mixnet <args>` (the root package's `mixnet` script): builds what changed,
 * then runs the CLI in this process. turbo's banner and summary are kept back and shown only when
 * the build fails; a build that takes longer than 2 s says so on stderr.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const turbo = join(root, 'node_modules', '.bin', 'turbo');
if (!existsSync(turbo)) {
  process.stderr.write('mixnet: the workspace is not installed; run `npx --yes pnpm@9 install --frozen-lockfile`\n');
  process.exit(1);
}

const output = [];
const started = Date.now();
const elapsed = () => ((Date.now() - started) / 1000).toFixed(0);
let heartbeat;
const slow = setTimeout(() => {
  process.stderr.write('• building the workspace (only what changed; a first build takes a minute or two)…\n');
  heartbeat = setInterval(() => process.stderr.write(`• still building (${elapsed()} s)…\n`), 15_000);
}, 2_000);
const code = await new Promise((resolve) => {
  const child = spawn(turbo, ['run', 'build', '--output-logs=errors-only'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, TURBO_NO_UPDATE_NOTIFIER: '1', TURBO_TELEMETRY_DISABLED: '1' },
  });
  child.stdout.on('data', (d) => output.push(d));
  child.stderr.on('data', (d) => output.push(d));
  child.on('error', (err) => {
    output.push(Buffer.from(`${err.message}\n`));
    resolve(1);
  });
  child.on('exit', (c) => resolve(c ?? 1));
});
clearTimeout(slow);
clearInterval(heartbeat);
if (code !== 0) {
  const text = Buffer.concat(output).toString();
  if (text.includes('Unable to find package manager binary')) {
    process.stderr.write('mixnet: turbo needs pnpm on the PATH: run this as `npx --yes pnpm@9 -s mixnet <args>`\n');
    process.exit(1);
  }
  process.stderr.write(text);
  process.stderr.write(`mixnet: the build failed (exit ${code}); its output is above\n`);
  process.exit(code);
}
if (Date.now() - started > 2_000) process.stderr.write(`• built in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);

// process.argv is [node, this script, ...args], the shape the CLI parses.
await import(pathToFileURL(join(root, 'packages', 'cli', 'dist', 'main.js')).href);
