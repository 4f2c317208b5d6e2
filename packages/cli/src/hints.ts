/**
 * How a newcomer runs the CLI from a clone with only Node and npm: the form the README shows and the
 * `next:` hints print, so that every command shown runs as shown (hints.test.ts checks both).
 */

export const MIXNET_COMMAND = 'npx --yes pnpm@9 -s mixnet';

/** A word as a shell reads it: quoted only when it needs to be. */
export function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** One runnable command line: the CLI form, then `args` (each shell-quoted), then an optional comment. */
export function hint(args: readonly string[], comment?: string): string {
  const line = [MIXNET_COMMAND, ...args.map(shellWord)].join(' ');
  return comment ? `${line}    # ${comment}` : line;
}

/** `--state DIR` when the user gave one (as given, so it resolves the same from the same shell). */
export function stateArgs(state: string | undefined): string[] {
  return state ? ['--state', state] : [];
}

/** The block printed after a command: "next:" and one indented hint per line. */
export function nextBlock(lines: readonly string[]): string {
  return ['next:', ...lines.map((l) => `  ${l}`), ''].join('\n');
}
