/**
 * The directory's state in its data folder, so a restart resumes where it stopped: the grid
 * (genesis) and the operator's scale, registered descriptors, monitor windows, and every signed
 * document by epoch. Each file is written whole to a temporary file, fsynced and renamed over the
 * old one: a crash leaves the old or the new file, never half of one. The folder is 0700, files 0600.
 *
 *   state.json        { v, genesis, activePerLayer }
 *   registry.json     { v, entries: [{ signed, firstSeen, lastAnnounce }] }
 *   scores.json       { v, windows: { id: [{ sent, delivered }] } }
 *   epochs/<n>.json   { document, signature } as served
 */
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { type SignedDescriptor, type SignedDocument, verifyDescriptor } from '@mixnet/sphinx/wire';
import type { RegistryEntry } from './registry.js';
import type { RoundResult } from './scores.js';

export class StoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreError';
  }
}

export interface StoredState {
  /** Start of epoch 0 (ms since the Unix epoch); null until the first document. */
  genesis: number | null;
  /** Set by POST /v1/admin/scale; null: the config's. */
  activePerLayer: number | null;
}

export interface Store {
  readonly dir: string;
  loadState(): StoredState;
  saveState(s: StoredState): void;
  loadRegistry(): RegistryEntry[];
  saveRegistry(entries: readonly RegistryEntry[]): void;
  loadScores(): Record<string, RoundResult[]>;
  saveScores(windows: Record<string, RoundResult[]>): void;
  saveDocument(epoch: number, signed: SignedDocument): void;
  loadDocument(epoch: number): SignedDocument | null;
  /** Stored epochs, ascending. */
  epochs(): number[];
  /** Deletes all but the newest `keep` documents. */
  prune(keep: number): void;
}

let tmpCounter = 0;

/** Write-to-temporary, fsync, rename. */
export function writeFileAtomic(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.${tmpCounter++}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

const EPOCH_FILE = /^(\d{1,15})\.json$/;

export function createStore(dir: string): Store {
  mkdirSync(join(dir, 'epochs'), { recursive: true, mode: 0o700 });
  const file = (name: string) => join(dir, name);
  const epochFile = (e: number) => join(dir, 'epochs', `${String(e).padStart(10, '0')}.json`);

  const readJson = (path: string): unknown => {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new StoreError(`${path}: cannot read: ${(err as Error).message}`);
    }
    try {
      return JSON.parse(text);
    } catch {
      throw new StoreError(`${path}: not valid JSON (written by another program?)`);
    }
  };
  const obj = (path: string): Record<string, unknown> | undefined => {
    const v = readJson(path);
    if (v === undefined) return undefined;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new StoreError(`${path}: expected an object`);
    return v as Record<string, unknown>;
  };
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);

  const epochs = (): number[] =>
    readdirSync(join(dir, 'epochs'))
      .map((f) => EPOCH_FILE.exec(f)?.[1])
      .filter((m): m is string => m !== undefined)
      .map(Number)
      .sort((a, b) => a - b);

  return {
    dir,
    loadState() {
      const s = obj(file('state.json'));
      return { genesis: num(s?.genesis), activePerLayer: num(s?.activePerLayer) };
    },
    saveState: (s) => writeFileAtomic(file('state.json'), JSON.stringify({ v: 1, ...s })),
    loadRegistry() {
      const path = file('registry.json');
      const r = obj(path);
      if (!r) return [];
      if (!Array.isArray(r.entries)) throw new StoreError(`${path}: entries must be an array`);
      return r.entries.map((e: unknown, i: number) => {
        const x = e as { signed?: SignedDescriptor; firstSeen?: unknown; lastAnnounce?: unknown };
        const lastAnnounce = num(x?.lastAnnounce);
        const firstSeen = num(x?.firstSeen);
        if (lastAnnounce === null || firstSeen === null) throw new StoreError(`${path}: entries[${i}] lacks its times`);
        // Checked again (signature, proofs, shape) at the time it was issued: what comes back is what was accepted.
        let descriptor: RegistryEntry['descriptor'];
        try {
          const issuedAt = (JSON.parse(String(x.signed?.descriptor)) as { issuedAt?: number }).issuedAt;
          descriptor = verifyDescriptor(x.signed, { now: Number(issuedAt) });
        } catch (err) {
          throw new StoreError(`${path}: entries[${i}] is not a valid signed descriptor: ${(err as Error).message}`);
        }
        return { descriptor, signed: x.signed as SignedDescriptor, firstSeen, lastAnnounce };
      });
    },
    saveRegistry(entries) {
      const out = entries.map((e) => ({ signed: e.signed, firstSeen: e.firstSeen, lastAnnounce: e.lastAnnounce }));
      writeFileAtomic(file('registry.json'), JSON.stringify({ v: 1, entries: out }));
    },
    loadScores() {
      const path = file('scores.json');
      const s = obj(path);
      if (!s) return {};
      const w = s.windows as Record<string, unknown>;
      if (typeof w !== 'object' || w === null) throw new StoreError(`${path}: windows must be an object`);
      const out: Record<string, RoundResult[]> = {};
      for (const [id, rounds] of Object.entries(w)) {
        if (!Array.isArray(rounds)) throw new StoreError(`${path}: windows.${id} must be an array`);
        out[id] = rounds.map((r: { sent?: unknown; delivered?: unknown }) => ({
          sent: num(r?.sent) ?? 0,
          delivered: num(r?.delivered) ?? 0,
        }));
      }
      return out;
    },
    saveScores: (windows) => writeFileAtomic(file('scores.json'), JSON.stringify({ v: 1, windows })),
    saveDocument: (epoch, signed) => writeFileAtomic(epochFile(epoch), JSON.stringify(signed)),
    loadDocument(epoch) {
      const d = obj(epochFile(epoch));
      if (!d) return null;
      if (typeof d.document !== 'string' || typeof d.signature !== 'string')
        throw new StoreError(`${epochFile(epoch)}: expected {document, signature}`);
      return { document: d.document, signature: d.signature };
    },
    epochs,
    prune(keep) {
      const all = epochs();
      for (const e of all.slice(0, Math.max(0, all.length - keep))) rmSync(epochFile(e), { force: true });
    },
  };
}
