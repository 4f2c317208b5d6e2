/**
 * The process's open-file limit (issue 14 #10): at it, accept and mailbox writes fail with EMFILE.
 * A relay warns at start when its connection caps do not fit under it.
 */
import { readFileSync } from 'node:fs';

/** The soft RLIMIT_NOFILE from /proc (Linux); undefined where it cannot be read or is unlimited. */
export function openFileLimit(limitsText?: string): number | undefined {
  let text = limitsText;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/self/limits', 'utf8');
    } catch {
      return undefined;
    }
  }
  const m = /^Max open files\s+(\d+|unlimited)/m.exec(text);
  return m?.[1] && m[1] !== 'unlimited' ? Number(m[1]) : undefined;
}

/** Descriptors beyond the connection caps: links to next hops, mailbox files, logs, workers. */
export const FD_HEADROOM = 256;
