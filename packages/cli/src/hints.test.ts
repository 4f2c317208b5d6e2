/**
 * Issue 15: every command a newcomer is shown runs as shown. The `next:` hints of `up` and
 * `simulate` and every CLI command in the README use the one documented form, and name commands and
 * flags the CLI has; the form itself runs on a machine with only Node and npm (no global pnpm).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { simulateHints } from './commands/analyze.js';
import { upHints } from './commands/testnet.js';
import { MIXNET_COMMAND } from './hints.js';
import { createProgram, VERSION } from './program.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Shell words of a command line (quotes honoured), without a trailing `# comment`. */
function words(line: string): string[] {
  const out: string[] = [];
  const re = /'([^']*)'|"([^"]*)"|(#.*$)|(\S+)/g;
  for (let m = re.exec(line); m; m = re.exec(line)) {
    if (m[3] !== undefined) break;
    out.push(m[1] ?? m[2] ?? (m[4] as string));
  }
  return out;
}

/** Why `args` would not run against the CLI's command tree ('' when it would). */
function problem(program: Command, args: string[]): string {
  let cmd = program;
  let i = 0;
  while (i < args.length && cmd.commands.length > 0 && !(args[i] as string).startsWith('-')) {
    const next = cmd.commands.find((c) => c.name() === args[i] || c.aliases().includes(args[i] as string));
    if (!next) return `unknown command "${args[i]}"`;
    cmd = next;
    i++;
  }
  if (cmd.commands.length > 0) return `"${cmd.name()}" needs a subcommand`;
  const positionals: string[] = [];
  for (; i < args.length; i++) {
    const a = args[i] as string;
    if (!a.startsWith('-')) {
      positionals.push(a);
      continue;
    }
    if (a === '--version' || a === '-V' || a === '--help' || a === '-h') continue;
    const option = [...cmd.options, ...program.options].find((o) => o.long === a || o.short === a);
    if (!option) return `"${cmd.name()}" has no option ${a}`;
    if (option.required || option.optional) i++;
  }
  const required = cmd.registeredArguments.filter((a) => a.required).length;
  if (positionals.length < required) return `"${cmd.name()}" needs ${required} argument(s)`;
  const missing = cmd.options.filter((o) => o.mandatory && !args.includes(o.long as string));
  if (missing.length > 0) return `"${cmd.name()}" needs ${missing.map((o) => o.long).join(', ')}`;
  return '';
}

/** The CLI arguments of a documented command line; throws if it is not in the documented form. */
function cliArgs(line: string): string[] {
  const w = words(line);
  const form = words(MIXNET_COMMAND);
  expect(w.slice(0, form.length), `"${line}" is not in the form "${MIXNET_COMMAND} …"`).toEqual(form);
  return w.slice(form.length);
}

describe('the commands a newcomer is shown', () => {
  const program = createProgram();

  it('the next: hints of up and simulate are documented-form commands the CLI accepts', () => {
    const lines = [
      ...upHints({ serviceProvider: { id: 'service-provider' } } as never, undefined),
      ...upHints({} as never, '/tmp/my state'),
      ...simulateHints('.mixnet/sim'),
    ];
    expect(lines.length).toBeGreaterThan(5);
    for (const line of lines) expect(problem(program, cliArgs(line)), line).toBe('');
    // A state folder with a space survives the shell.
    expect(upHints({} as never, '/tmp/my state').join('\n')).toContain("--state '/tmp/my state'");
  });

  it('every mixnet command in the README is in the documented form and accepted by the CLI', () => {
    const readme = readFileSync(`${ROOT}README.md`, 'utf8');
    const blocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1] as string);
    const commands = blocks
      .flatMap((b) => b.split('\n'))
      // `a && b` and `a | b`: each part is its own command (only mixnet's are checked).
      .flatMap((l) => l.split(/\s(?:&&|\|)\s/))
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'));
    expect(commands.length).toBeGreaterThan(8);
    let checked = 0;
    for (const c of commands) {
      // pnpm and mixnet are not on a fresh machine's PATH: only `npx --yes pnpm@9 …` runs as shown.
      expect(c, 'a README command needs a global pnpm or mixnet').not.toMatch(/^(pnpm|mixnet)\s/);
      if (!c.startsWith(`${MIXNET_COMMAND} `)) continue;
      expect(problem(program, cliArgs(c)), c).toBe('');
      checked++;
    }
    expect(checked).toBeGreaterThan(8);
  });

  it('the documented form runs from the clone with only Node and npm, and keeps turbo quiet', () => {
    const r = spawnSync('bash', ['-c', `${MIXNET_COMMAND} --version`], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 300_000,
      // No pnpm on PATH beyond what npx fetches: the PATH of a fresh machine plus node's own folder.
      env: { ...process.env, PATH: `${process.execPath.replace(/\/node$/, '')}:/usr/bin:/bin` },
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(VERSION);
    expect(r.stderr).not.toMatch(/turbo|Packages in scope|Tasks:/);
  }, 300_000);
});
