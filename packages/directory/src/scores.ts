/**
 * Performance scores over a sliding window of monitor rounds (docs/directory.md §3):
 *
 *   sent_n, delivered_n = sums over the last `window` rounds that tested n
 *   score_n = delivered_n / sent_n      (1 before n's first round)
 *   score_n = 0 if n's latest round delivered none, of ≥ 2 packets (or of 1, and so did the round before)
 *
 * The second rule makes an outage count at once; the window smooths a lossy node's score. With a
 * probe budget a round may test a node with one packet: one lost packet is not yet an outage. Expiry
 * (the third rule of §3) is the registry's to know, so the caller applies it.
 */

export interface RoundResult {
  sent: number;
  delivered: number;
}

export interface ScoreBook {
  record(id: string, result: RoundResult): void;
  score(id: string): number;
  /** Whether n has been through at least one round (an untested node is not eligible). */
  tested(id: string): boolean;
  windows(): Record<string, RoundResult[]>;
}

export function scoreOf(rounds: readonly RoundResult[] | undefined): number {
  if (!rounds || rounds.length === 0) return 1;
  const last = rounds[rounds.length - 1] as RoundResult;
  const before = rounds[rounds.length - 2];
  if (last.delivered === 0 && (last.sent >= 2 || before === undefined || before.delivered === 0)) return 0;
  let sent = 0;
  let delivered = 0;
  for (const r of rounds) {
    sent += r.sent;
    delivered += r.delivered;
  }
  return sent === 0 ? 1 : Math.min(1, delivered / sent);
}

export function createScoreBook(opts: { window: number; restore?: Record<string, RoundResult[]> }): ScoreBook {
  const book = new Map<string, RoundResult[]>();
  for (const [id, rounds] of Object.entries(opts.restore ?? {})) book.set(id, rounds.slice(-opts.window));
  return {
    record(id, result) {
      if (result.sent <= 0) return;
      const rounds = book.get(id) ?? [];
      rounds.push({ sent: result.sent, delivered: Math.min(result.delivered, result.sent) });
      if (rounds.length > opts.window) rounds.splice(0, rounds.length - opts.window);
      book.set(id, rounds);
    },
    score: (id) => scoreOf(book.get(id)),
    tested: (id) => (book.get(id)?.length ?? 0) > 0,
    windows: () => Object.fromEntries([...book].map(([id, r]) => [id, r.map((x) => ({ ...x }))])),
  };
}
