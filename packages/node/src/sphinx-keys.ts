/**
 * The node's Sphinx keys by key rotation (docs/directory.md §4, §6). With a directory, the node holds
 * the key of the current rotation, the next one (announced ahead, so clients that already have the
 * new document can use it), and the previous one for `graceMs` after a switch (packets in flight);
 * each in `<dir>/<rotation>.key` (0600, keys.ts) with `<dir>/state.json` naming the current one.
 * A dropped key's file is deleted: what it protected stays secret even if the node is seized later.
 * Without a directory there is one static key, rotation 0, that never changes.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateKeyPair, publicKeyFromPrivate } from '@mixnet/sphinx';
import { readKey, writeKey } from './keys.js';

export interface SphinxKey {
  rotation: number;
  privateKey: Uint8Array;
  publicKey: Uint8Array;
}

export interface SphinxKeyRing {
  /** false for the static key of a node without a directory */
  readonly rotating: boolean;
  readonly current: SphinxKey;
  readonly next: SphinxKey | undefined;
  readonly previous: SphinxKey | undefined;
  /** Every key held, in the order to try them: current, previous, next. */
  keys(): SphinxKey[];
  get(rotation: number): SphinxKey | undefined;
  /**
   * A document names `rotation` as current: switch to it (the old current becomes previous until
   * `graceMs` from now), make sure the next one exists. Returns false when nothing changed.
   */
  advance(rotation: number, graceMs: number): boolean;
  /** Called after every change (advance, previous dropped) with the keys now held. */
  onChange(cb: (keys: SphinxKey[]) => void): () => void;
  /** Stops the timer that drops the previous key. */
  close(): void;
}

export class KeyRingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyRingError';
  }
}

/** One key, rotation 0, forever: the node of an offline topology (the config's sphinxPrivateKeyFile). */
export function createStaticKeyRing(privateKey: Uint8Array): SphinxKeyRing {
  const key: SphinxKey = { rotation: 0, privateKey, publicKey: publicKeyFromPrivate(privateKey) };
  return {
    rotating: false,
    current: key,
    next: undefined,
    previous: undefined,
    keys: () => [key],
    get: (rotation) => (rotation === 0 ? key : undefined),
    advance: () => false,
    onChange: () => () => {},
    close: () => {},
  };
}

export interface SphinxKeyRingOptions {
  /** `<dataDir>/sphinx-keys` */
  dir: string;
  /** wall clock, ms (default Date.now) */
  now?: () => number;
}

interface State {
  current: number;
  previous?: number;
  /** wall-clock ms when the previous key goes */
  previousUntil?: number;
}

const MAX_ROTATION = 2 ** 32 - 1;

/** Opens (or creates, at rotation 0) the rotating key ring in `dir`. */
export function openSphinxKeyRing(opts: SphinxKeyRingOptions): SphinxKeyRing {
  const { dir } = opts;
  const now = opts.now ?? Date.now;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const statePath = join(dir, 'state.json');
  const keyPath = (rotation: number) => join(dir, `${rotation}.key`);

  const loadOrCreate = (rotation: number): SphinxKey => {
    if (!Number.isSafeInteger(rotation) || rotation < 0 || rotation > MAX_ROTATION)
      throw new KeyRingError(`key rotation must be an integer from 0 to ${MAX_ROTATION}, got ${rotation}`);
    const path = keyPath(rotation);
    if (existsSync(path)) {
      const privateKey = readKey(path);
      return { rotation, privateKey, publicKey: publicKeyFromPrivate(privateKey) };
    }
    const pair = generateKeyPair();
    writeKey(path, pair.privateKey);
    return { rotation, privateKey: pair.privateKey, publicKey: pair.publicKey };
  };

  const state = readState(statePath);
  let current = loadOrCreate(state.current);
  let next: SphinxKey | undefined = current.rotation < MAX_ROTATION ? loadOrCreate(current.rotation + 1) : undefined;
  let previous: SphinxKey | undefined;
  let previousUntil = 0;
  if (state.previous !== undefined && (state.previousUntil ?? 0) > now() && existsSync(keyPath(state.previous))) {
    previous = loadOrCreate(state.previous);
    previousUntil = state.previousUntil as number;
  }
  const listeners = new Set<(keys: SphinxKey[]) => void>();
  let timer: NodeJS.Timeout | undefined;

  const held = () => {
    const out: SphinxKey[] = [];
    for (const k of [current, previous, next]) if (k && !out.some((o) => o.rotation === k.rotation)) out.push(k);
    return out;
  };
  const save = () => {
    const s: State = {
      current: current.rotation,
      ...(previous ? { previous: previous.rotation, previousUntil } : {}),
    };
    const tmp = `${statePath}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(s)}\n`, { mode: 0o600 });
    renameSync(tmp, statePath);
  };
  // Deletes the key files of rotations no longer held (forward secrecy).
  const prune = () => {
    const keep = new Set(held().map((k) => `${k.rotation}.key`));
    for (const name of readdirSync(dir)) if (/^\d+\.key$/.test(name) && !keep.has(name)) rmSync(join(dir, name));
  };
  const emit = () => {
    const keys = held();
    for (const cb of listeners) cb(keys);
  };
  const dropPrevious = () => {
    timer = undefined;
    if (!previous) return;
    previous = undefined;
    save();
    prune();
    emit();
  };
  const arm = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (!previous) return;
    timer = setTimeout(dropPrevious, Math.max(0, previousUntil - now()));
    timer.unref();
  };

  save();
  prune();
  arm();

  return {
    rotating: true,
    get current() {
      return current;
    },
    get next() {
      return next;
    },
    get previous() {
      return previous;
    },
    keys: held,
    get: (rotation) => held().find((k) => k.rotation === rotation),
    advance(rotation, graceMs) {
      if (rotation === current.rotation) return false;
      const old = current;
      current = next?.rotation === rotation ? next : loadOrCreate(rotation);
      next = rotation < MAX_ROTATION ? loadOrCreate(rotation + 1) : undefined;
      // A previous key still in its grace period goes now: the ring holds three keys.
      previous = old;
      previousUntil = now() + Math.max(0, graceMs);
      save();
      prune();
      arm();
      emit();
      return true;
    },
    onChange(cb) {
      listeners.add(cb);
      return () => listeners.delete(cb);
    },
    close() {
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
  };
}

function readState(path: string): State {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { current: 0 };
    throw err;
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new KeyRingError(`${path}: not JSON`);
  }
  const o = (typeof v === 'object' && v !== null ? v : {}) as Record<string, unknown>;
  const rotation = (x: unknown, field: string, optional: boolean): number | undefined => {
    if (x === undefined && optional) return undefined;
    if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < 0 || x > MAX_ROTATION)
      throw new KeyRingError(`${path}: ${field} must be a key rotation (integer from 0 to ${MAX_ROTATION})`);
    return x;
  };
  const current = rotation(o.current, 'current', false) as number;
  const previous = rotation(o.previous, 'previous', true);
  const until = o.previousUntil;
  if (until !== undefined && (typeof until !== 'number' || !Number.isFinite(until)))
    throw new KeyRingError(`${path}: previousUntil must be a time in ms`);
  return {
    current,
    ...(previous !== undefined ? { previous } : {}),
    ...(until !== undefined ? { previousUntil: until } : {}),
  };
}
