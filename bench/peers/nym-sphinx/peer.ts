// Driver for the nym-sphinx-peer binary: Nym's own sphinx-packet 0.6.0 (Rust),
// spoken to over JSON lines on stdin/stdout. See README.md for the protocol.
//
// Only node: built-ins, so it can be imported from any package's tests.

import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { fileURLToPath } from 'node:url';

// The crate sits beside this file; compiled, this file runs from bench/dist/peers/nym-sphinx.
const HERE = path.dirname(fileURLToPath(import.meta.url));
export const NYM_PEER_DIR: string = fs.existsSync(path.join(HERE, 'Cargo.toml'))
  ? HERE
  : path.resolve(HERE, '../../../peers/nym-sphinx');

// Pinned to this folder even if the caller's environment sets CARGO_TARGET_DIR,
// so the binary is always where nymPeerBinaryPath() says.
const TARGET_DIR = path.join(NYM_PEER_DIR, 'target');
const LOCK_PATH = path.join(TARGET_DIR, '.nym-peer-build.lock');
// A lock older than this is left over from a killed build (a clean build takes ~1 min).
const STALE_LOCK_MS = 20 * 60_000;

export function nymPeerBinaryPath(): string {
  const exe = process.platform === 'win32' ? 'nym-sphinx-peer.exe' : 'nym-sphinx-peer';
  return path.join(TARGET_DIR, 'release', exe);
}

// ---------------------------------------------------------------------------
// Building

function newestInputMtime(): number {
  let newest = 0;
  const visit = (p: string): void => {
    const st = fs.statSync(p);
    if (st.isDirectory()) {
      for (const entry of fs.readdirSync(p)) visit(path.join(p, entry));
    } else {
      newest = Math.max(newest, st.mtimeMs);
    }
  };
  visit(path.join(NYM_PEER_DIR, 'src'));
  visit(path.join(NYM_PEER_DIR, 'Cargo.toml'));
  visit(path.join(NYM_PEER_DIR, 'Cargo.lock'));
  return newest;
}

function needsBuild(): boolean {
  try {
    return fs.statSync(nymPeerBinaryPath()).mtimeMs < newestInputMtime();
  } catch {
    return true; // binary missing
  }
}

function assertCargoAvailable(): void {
  const probe = spawnSync('cargo', ['--version'], { stdio: 'ignore' });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      'the Nym peer needs Rust: install cargo (rustup, https://rustup.rs) and make sure `cargo` is on PATH; ' +
        `it builds ${NYM_PEER_DIR} with \`cargo build --release --locked\`` +
        (probe.error ? ` (${probe.error.message})` : ''),
    );
  }
}

function runCargoBuild(log: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('cargo', ['build', '--release', '--locked'], {
      cwd: NYM_PEER_DIR,
      env: { ...process.env, CARGO_TARGET_DIR: TARGET_DIR },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const tail: string[] = [];
    const onLine = (line: string): void => {
      tail.push(line);
      if (tail.length > 30) tail.shift();
      log(line);
    };
    readline.createInterface({ input: child.stdout }).on('line', onLine);
    readline.createInterface({ input: child.stderr }).on('line', onLine);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`cargo build of the Nym peer failed (${signal ?? `exit ${code}`}):\n${tail.join('\n')}`));
    });
  });
}

/** Lock held by a process that is gone, or simply too old. */
function lockIsStale(): boolean {
  try {
    const st = fs.statSync(LOCK_PATH);
    if (Date.now() - st.mtimeMs > STALE_LOCK_MS) return true;
    const pid = Number(fs.readFileSync(LOCK_PATH, 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 0) return false; // being written right now
    try {
      process.kill(pid, 0);
      return false;
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === 'ESRCH';
    }
  } catch {
    return false; // vanished meanwhile: the next openSync attempt decides
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Builds the peer with `cargo build --release --locked` if the binary is
 * missing or older than src/, Cargo.toml or Cargo.lock. Safe to call from
 * several test workers at once: one builds, the others wait for its lock.
 */
export async function ensureNymPeerBuilt(opts?: { log?: (line: string) => void }): Promise<string> {
  const binary = nymPeerBinaryPath();
  if (!needsBuild()) return binary;
  assertCargoAvailable();
  const log = opts?.log ?? ((line: string) => process.stderr.write(`[nym-peer build] ${line}\n`));

  fs.mkdirSync(TARGET_DIR, { recursive: true });
  for (;;) {
    try {
      const fd = fs.openSync(LOCK_PATH, 'wx');
      fs.writeSync(fd, String(process.pid));
      fs.closeSync(fd);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    if (lockIsStale()) {
      fs.rmSync(LOCK_PATH, { force: true });
      continue;
    }
    await sleep(500);
    if (!needsBuild()) return binary; // another worker finished the build
  }

  try {
    if (needsBuild()) {
      log(`building ${NYM_PEER_DIR}`);
      await runCargoBuild(log);
      // Cargo decides freshness by its own fingerprints and may leave the
      // binary untouched (e.g. a source file touched but unchanged); it
      // succeeded, so the binary is current: mark it so for our mtime check.
      if (needsBuild()) {
        const stamp = new Date(Math.max(Date.now(), newestInputMtime()));
        fs.utimesSync(binary, stamp, stamp);
      }
    }
  } finally {
    fs.rmSync(LOCK_PATH, { force: true });
  }
  return binary;
}

// ---------------------------------------------------------------------------
// Types

/** The crate's ErrorKind names, plus what the harness itself reports. */
export type NymErrorKind =
  | 'InvalidPacket'
  | 'InvalidHeader'
  | 'InvalidPayload'
  | 'InvalidSURB'
  | 'InvalidRouting'
  | 'Panic'
  | 'BlockSizeError' // lioness::LionessError
  | (string & {});

/** A failure inside the crate: resolved, not rejected, so tests can compare kinds. */
export interface NymCrateError {
  kind: 'error';
  error: NymErrorKind;
  message: string;
}

export interface NymRouteNode {
  address: Uint8Array; // 32 bytes
  publicKey: Uint8Array; // 32 bytes
}

export interface NymCreateParams {
  route: NymRouteNode[];
  delaysNs: bigint[];
  destination: Uint8Array; // 32 bytes
  identifier: Uint8Array; // 16 bytes
  message: Uint8Array;
  payloadSize: number;
  initialSecret?: Uint8Array; // 32 bytes; random when absent
  /** Defaults to 258 in the peer. */
  version?: number;
}

export type NymCreateSurbParams = Omit<NymCreateParams, 'message' | 'payloadSize'>;

export interface NymForwardHop {
  kind: 'forward';
  nextAddress: Uint8Array;
  delayNs: bigint;
  replayTag: Uint8Array;
  packet: Uint8Array;
  version: number;
}

export interface NymFinalHop {
  kind: 'final';
  destination: Uint8Array;
  identifier: Uint8Array;
  replayTag: Uint8Array;
  /** The payload after this hop's Lioness layer, before recover_plaintext. */
  payload: Uint8Array;
  /** recover_plaintext(payload), or null when it failed. */
  message: Uint8Array | null;
  recoverError: NymErrorKind | null;
  recoverMessage: string | null;
  version: number;
}

export type NymProcessResult = NymForwardHop | NymFinalHop | NymCrateError;
export type NymPacketResult = { kind: 'packet'; packet: Uint8Array } | NymCrateError;
export type NymSurbResult = { kind: 'surb'; surb: Uint8Array; firstHop: Uint8Array } | NymCrateError;
export type NymUseSurbResult = { kind: 'packet'; packet: Uint8Array; firstHop: Uint8Array } | NymCrateError;
export type NymRecoverResult = { kind: 'message'; message: Uint8Array } | NymCrateError;
export type NymLionessResult = { kind: 'block'; block: Uint8Array } | NymCrateError;

export interface NymHopKeys {
  sharedSecret: Uint8Array;
  /** The 288-byte expansion as computed inside the crate. */
  expanded: Uint8Array;
  replayTag: Uint8Array;
}

export interface NymBenchParams {
  what: 'create' | 'process';
  iterations: number;
  payloadSize: number;
  hops: number;
}

export interface NymBenchResult {
  iterations: number;
  medianNs: number;
  meanNs: number;
  minNs: number;
}

/** Raw protocol response (hex strings), for `call`. */
export type NymRawResponse =
  | ({ id: number; ok: true } & Record<string, unknown>)
  | { id: number; ok: false; error: string; message: string };

/** Narrows a result to its success variant, throwing on a crate error. */
export function expectNymOk<T extends { kind: string }>(result: T | NymCrateError): T {
  if (result.kind === 'error') {
    const e = result as NymCrateError;
    throw new Error(`nym peer: ${e.error}: ${e.message}`);
  }
  return result as T;
}

// ---------------------------------------------------------------------------
// Hex helpers (the wire is lowercase hex)

function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

function fromHex(value: unknown): Uint8Array {
  if (typeof value !== 'string') throw new Error(`nym peer: expected a hex string, got ${typeof value}`);
  return new Uint8Array(Buffer.from(value, 'hex'));
}

const nullableHex = (value: unknown): Uint8Array | null => (value === null ? null : fromHex(value));

function routeJson(route: NymRouteNode[]): { address: string; publicKey: string }[] {
  return route.map((n) => ({ address: toHex(n.address), publicKey: toHex(n.publicKey) }));
}

// ---------------------------------------------------------------------------
// The peer process

/** A success response's fields (hex strings as sent by the peer). */
type Fields = Record<string, unknown>;

function isCrateError(r: Fields | NymCrateError): r is NymCrateError {
  return r.kind === 'error'; // success responses never carry kind "error"
}

interface Pending {
  resolve: (response: NymRawResponse) => void;
  reject: (error: Error) => void;
}

export class NymPeer {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private deathError: Error | null = null;
  private readonly stderrTail: string[] = [];
  private readonly exited: Promise<void>;

  constructor(private readonly child: ChildProcessWithoutNullStreams) {
    readline.createInterface({ input: child.stdout }).on('line', (line) => this.onLine(line));
    readline.createInterface({ input: child.stderr }).on('line', (line) => {
      this.stderrTail.push(line);
      if (this.stderrTail.length > 20) this.stderrTail.shift();
    });
    // EPIPE when writing to a dead peer: reported through the exit path.
    child.stdin.on('error', () => {});
    this.exited = new Promise((resolve) => {
      child.on('error', (e) => {
        this.die(new Error(`nym peer could not run: ${e.message}`));
        resolve();
      });
      child.on('close', (code, signal) => {
        const stderr = this.stderrTail.length ? `\n${this.stderrTail.join('\n')}` : '';
        this.die(new Error(`nym peer exited (${signal ?? `code ${code}`})${stderr}`));
        resolve();
      });
    });
  }

  private die(error: Error): void {
    if (!this.deathError) this.deathError = error;
    for (const p of this.pending.values()) p.reject(this.deathError);
    this.pending.clear();
  }

  private onLine(line: string): void {
    let response: NymRawResponse;
    try {
      response = JSON.parse(line) as NymRawResponse;
    } catch {
      this.die(new Error(`nym peer wrote a non-JSON line: ${line.slice(0, 200)}`));
      this.child.kill();
      return;
    }
    const pending = this.pending.get(response.id);
    if (!pending) return; // a response to an id we never sent (e.g. null): nothing waits for it
    this.pending.delete(response.id);
    pending.resolve(response);
  }

  /** Sends one raw request (fields are protocol JSON: hex strings, decimal delays). */
  call(op: string, fields: Record<string, unknown> = {}): Promise<NymRawResponse> {
    if (this.deathError) return Promise.reject(this.deathError);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child.stdin.write(`${JSON.stringify({ ...fields, id, op })}\n`);
    });
  }

  /** Like `call`, but crate failures become NymCrateError and harness failures reject. */
  private async request(op: string, fields: Record<string, unknown>): Promise<Fields | NymCrateError> {
    const r = await this.call(op, fields);
    if (r.ok) return r;
    if (r.error === 'BadRequest' || r.error === 'Internal') {
      throw new Error(`nym peer rejected ${op}: ${r.error}: ${r.message}`);
    }
    return { kind: 'error', error: r.error, message: r.message };
  }

  /** For ops that cannot fail inside the crate. */
  private async requestOk(op: string, fields: Record<string, unknown>): Promise<Fields> {
    const r = await this.request(op, fields);
    if (isCrateError(r)) throw new Error(`nym peer ${op}: ${r.error}: ${r.message}`);
    return r;
  }

  async create(p: NymCreateParams): Promise<NymPacketResult> {
    const r = await this.request('create', {
      route: routeJson(p.route),
      delaysNs: p.delaysNs.map(String),
      destination: toHex(p.destination),
      identifier: toHex(p.identifier),
      message: toHex(p.message),
      payloadSize: p.payloadSize,
      ...(p.initialSecret ? { initialSecret: toHex(p.initialSecret) } : {}),
      ...(p.version !== undefined ? { version: p.version } : {}),
    });
    return isCrateError(r) ? r : { kind: 'packet', packet: fromHex(r.packet) };
  }

  async process(packet: Uint8Array, privateKey: Uint8Array): Promise<NymProcessResult> {
    const r = await this.request('process', { packet: toHex(packet), privateKey: toHex(privateKey) });
    if (isCrateError(r)) return r;
    if (r.kind === 'forward') {
      return {
        kind: 'forward',
        nextAddress: fromHex(r.nextAddress),
        delayNs: BigInt(r.delayNs as string),
        replayTag: fromHex(r.replayTag),
        packet: fromHex(r.packet),
        version: r.version as number,
      };
    }
    return {
      kind: 'final',
      destination: fromHex(r.destination),
      identifier: fromHex(r.identifier),
      replayTag: fromHex(r.replayTag),
      payload: fromHex(r.payload),
      message: nullableHex(r.message),
      recoverError: r.recoverError as NymErrorKind | null,
      recoverMessage: r.recoverMessage as string | null,
      version: r.version as number,
    };
  }

  async createSurb(p: NymCreateSurbParams): Promise<NymSurbResult> {
    const r = await this.request('createSurb', {
      route: routeJson(p.route),
      delaysNs: p.delaysNs.map(String),
      destination: toHex(p.destination),
      identifier: toHex(p.identifier),
      ...(p.initialSecret ? { initialSecret: toHex(p.initialSecret) } : {}),
      ...(p.version !== undefined ? { version: p.version } : {}),
    });
    return isCrateError(r) ? r : { kind: 'surb', surb: fromHex(r.surb), firstHop: fromHex(r.firstHop) };
  }

  async useSurb(surb: Uint8Array, message: Uint8Array, payloadSize: number): Promise<NymUseSurbResult> {
    const r = await this.request('useSurb', { surb: toHex(surb), message: toHex(message), payloadSize });
    return isCrateError(r) ? r : { kind: 'packet', packet: fromHex(r.packet), firstHop: fromHex(r.firstHop) };
  }

  async recover(payload: Uint8Array): Promise<NymRecoverResult> {
    const r = await this.request('recover', { payload: toHex(payload) });
    return isCrateError(r) ? r : { kind: 'message', message: fromHex(r.message) };
  }

  /**
   * HKDF expansion of a shared secret to 288 bytes. The crate keeps its
   * expansion function private, so the peer reproduces it with the crate's
   * hkdf/sha2 versions and public constants; `hopKeys` gives the crate's own.
   */
  async expand(sharedSecret: Uint8Array): Promise<Uint8Array> {
    return fromHex((await this.requestOk('expand', { sharedSecret: toHex(sharedSecret) })).expanded);
  }

  /** What a hop with `privateKey` derives from `alpha`, computed by the crate itself. */
  async hopKeys(privateKey: Uint8Array, alpha: Uint8Array): Promise<NymHopKeys> {
    const r = await this.requestOk('hopKeys', { privateKey: toHex(privateKey), alpha: toHex(alpha) });
    return { sharedSecret: fromHex(r.sharedSecret), expanded: fromHex(r.expanded), replayTag: fromHex(r.replayTag) };
  }

  /** x25519-dalek 2.0.1 `x25519(scalar, point)`. */
  async x25519(scalar: Uint8Array, point: Uint8Array): Promise<Uint8Array> {
    return fromHex((await this.requestOk('x25519', { scalar: toHex(scalar), point: toHex(point) })).out);
  }

  /** lioness 0.1.2 `Lioness<VarBlake2b, ChaCha>`, as the crate's payload code uses it. */
  async lioness(mode: 'encrypt' | 'decrypt', key: Uint8Array, block: Uint8Array): Promise<NymLionessResult> {
    const r = await this.request('lioness', { mode, key: toHex(key), block: toHex(block) });
    return isCrateError(r) ? r : { kind: 'block', block: fromHex(r.block) };
  }

  async bench(p: NymBenchParams): Promise<NymBenchResult> {
    const r = await this.requestOk('bench', { ...p });
    return {
      iterations: r.iterations as number,
      medianNs: r.medianNs as number,
      meanNs: r.meanNs as number,
      minNs: r.minNs as number,
    };
  }

  async version(): Promise<{ crate: string; version: number }> {
    const r = await this.requestOk('version', {});
    return { crate: r.crate as string, version: r.version as number };
  }

  /** Ends the session (EOF on stdin) and waits for the process to exit. */
  async close(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.stdin.end();
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
      await this.exited;
      clearTimeout(timer);
    }
  }
}

/** Builds the peer if needed, then starts one process serving all requests. */
export async function startNymPeer(opts?: { log?: (line: string) => void }): Promise<NymPeer> {
  const binary = await ensureNymPeerBuilt(opts);
  const child = spawn(binary, [], { stdio: ['pipe', 'pipe', 'pipe'] });
  return new NymPeer(child);
}
