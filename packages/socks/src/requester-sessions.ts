/**
 * The network requester's end of the stream protocol: sessions (one per SOCKS client, named by a
 * random id the client picks: requests are anonymous, so nothing else could tell them apart), each
 * a stream mux whose frames go back in the replies to that client's held requests (long polls).
 * A poll is answered as soon as frames wait, or empty after `holdMs` (before the client's stall
 * check would send fresh SURBs for it). Bounded: sessions, polls held per session, and what waits
 * per stream (the mux's windows).
 */

import { type Batch, decodeBatch, encodeBatch } from './stream-frame.js';
import { createStreamMux, type MuxStream, type StreamMux } from './stream-mux.js';

export interface SessionLimits {
  /** Sessions at once; a new one past this is answered with nothing. Default 256. */
  maxSessions?: number;
  /** Streams per session. Default 64. */
  maxStreamsPerSession?: number;
  /** Polls held per session; past it the oldest is answered at once. Default 16. */
  maxHeldPolls?: number;
  /** How long a poll is held before an empty answer. Default 1,500 ms. */
  holdMs?: number;
  /** Largest reply batch. Default 32 KiB. */
  batchBytes?: number;
  window?: number;
  /** Stream idle timeout. Default 10 min (a vanished client is caught sooner: `sessionIdleMs`). */
  idleMs?: number;
  /** A session that sent nothing for this long is forgotten, its streams reset. Default 60 s. */
  sessionIdleMs?: number;
}

export interface RequesterSessionsOptions extends SessionLimits {
  /** A client opened a stream to host:port: `accept()` it once connected or `refuse(code)`. */
  onOpen(stream: MuxStream, host: string, port: number): void;
}

export interface SessionStats {
  sessions: number;
  streams: number;
  /** Requests (polls) taken, in total. */
  polls: number;
  /** Polls held now. */
  heldPolls: number;
  malformed: number;
  sessionsRefused: number;
  protocolErrors: number;
  idleResets: number;
}

export interface RequesterSessions {
  /** A request from a client: its batch and the way to answer it. */
  onRequest(bytes: Uint8Array, reply: (bytes: Uint8Array) => Promise<void>): void;
  stats(): SessionStats;
  close(): void;
}

interface Session {
  id: Uint8Array;
  mux: StreamMux;
  polls: { reply: (bytes: Uint8Array) => Promise<void>; at: number }[];
  touched: number;
}

export function createRequesterSessions(opts: RequesterSessionsOptions): RequesterSessions {
  const maxSessions = opts.maxSessions ?? 256;
  const maxHeld = opts.maxHeldPolls ?? 16;
  const holdMs = opts.holdMs ?? 1_500;
  const batchBytes = opts.batchBytes ?? 32 * 1024;
  const sessionIdleMs = opts.sessionIdleMs ?? 60_000;
  const sessions = new Map<string, Session>();
  const stats = { polls: 0, malformed: 0, sessionsRefused: 0, protocolErrors: 0, idleResets: 0 };

  const answer = (s: Session) => {
    const poll = s.polls.shift();
    if (!poll) return;
    const frames = s.mux.take(batchBytes);
    const batch: Batch = { session: s.id, backlog: Math.min(0xffffffff, s.mux.pendingBytes), frames };
    poll.reply(encodeBatch(batch)).catch(() => {
      // Expired or no room: the client's poll times out and it polls again; the streams' idle timeouts bound the rest.
    });
  };

  const flush = (s: Session) => {
    while (s.polls.length > 0 && s.mux.pendingBytes > 0) answer(s);
    while (s.polls.length > maxHeld) answer(s);
  };

  const newSession = (id: Uint8Array): Session => {
    const s: Session = {
      id,
      polls: [],
      touched: performance.now(),
      mux: createStreamMux({
        onOutbound: () => flush(s),
        onOpen: opts.onOpen,
        maxStreams: opts.maxStreamsPerSession ?? 64,
        ...(opts.window ? { window: opts.window } : {}),
        ...(opts.idleMs ? { idleMs: opts.idleMs } : {}),
      }),
    };
    return s;
  };

  const forget = (key: string, s: Session) => {
    const st = s.mux.stats();
    stats.protocolErrors += st.protocolErrors;
    stats.idleResets += st.idleResets;
    s.mux.close();
    sessions.delete(key);
  };

  const timer = setInterval(
    () => {
      const now = performance.now();
      for (const [key, s] of sessions) {
        s.mux.sweep(now);
        while (s.polls.length > 0 && now - (s.polls[0]?.at ?? now) >= holdMs) answer(s);
        // A client with open streams polls every hold time; one silent this long is gone: its streams go too.
        if (s.polls.length === 0 && now - s.touched > sessionIdleMs) forget(key, s);
      }
    },
    Math.max(50, Math.min(250, holdMs / 4)),
  );
  timer.unref();

  return {
    onRequest(bytes, reply) {
      let batch: Batch;
      try {
        batch = decodeBatch(bytes);
      } catch {
        stats.malformed++;
        return;
      }
      const key = Buffer.from(batch.session).toString('hex');
      let s = sessions.get(key);
      if (!s) {
        if (sessions.size >= maxSessions) {
          stats.sessionsRefused++;
          return;
        }
        s = newSession(batch.session);
        sessions.set(key, s);
      }
      stats.polls++;
      s.touched = performance.now();
      s.polls.push({ reply, at: performance.now() });
      s.mux.receive(batch.frames);
      flush(s);
    },
    stats() {
      let streams = 0;
      let polls = 0;
      let protocolErrors = stats.protocolErrors;
      let idleResets = stats.idleResets;
      for (const s of sessions.values()) {
        const st = s.mux.stats();
        streams += st.streams;
        polls += s.polls.length;
        protocolErrors += st.protocolErrors;
        idleResets += st.idleResets;
      }
      return {
        sessions: sessions.size,
        streams,
        polls: stats.polls,
        heldPolls: polls,
        malformed: stats.malformed,
        sessionsRefused: stats.sessionsRefused,
        protocolErrors,
        idleResets,
      };
    },
    close() {
      clearInterval(timer);
      for (const [key, s] of sessions) {
        forget(key, s);
        while (s.polls.length > 0) answer(s);
      }
    },
  };
}
