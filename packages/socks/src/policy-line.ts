/** One torrc-style exit-policy item (`accept 10.0.0.0/8:80-443`) parsed into a rule, or a typed error. */
import { type HostPattern, parseHostPattern } from './hostname.js';
import { type IpFamily, isV4Mapped, parseIPv4, parseIPv6 } from './ip.js';
import { PRIVATE_RANGES } from './private-ranges.js';

export type PolicyAction = 'accept' | 'reject';

/** What a rule's ADDR part matches. */
export type AddressPattern =
  /** `*` (any family), `*4` or `*6`. */
  | { readonly kind: 'any'; readonly family?: IpFamily }
  /** An IP address with a prefix length (a bare address has the full length). */
  | { readonly kind: 'prefix'; readonly family: IpFamily; readonly bytes: Uint8Array; readonly bits: number }
  /** A host name rule, exact or `*.example.com`: matches the name the client asked for. */
  | { readonly kind: 'host'; readonly pattern: HostPattern };

export interface PortRange {
  readonly from: number;
  readonly to: number;
}

export interface PolicyRule {
  readonly action: PolicyAction;
  readonly address: AddressPattern;
  readonly ports: PortRange;
  /** 1-based line in the policy text. */
  readonly line: number;
  /** The item as written, e.g. "reject 127.0.0.0/8:*". */
  readonly text: string;
}

export type PolicyField = 'action' | 'address' | 'prefix' | 'port' | 'line';

const MAX_ITEM_CHARS = 300;

/** A bad policy line: where (line, 1-based column, field) and why. */
export class ExitPolicyError extends Error {
  override readonly name = 'ExitPolicyError';
  constructor(
    readonly line: number,
    readonly column: number,
    readonly field: PolicyField,
    readonly reason: string,
    readonly text: string,
  ) {
    const shown = text.length > 80 ? `${text.slice(0, 77)}...` : text;
    super(`exit policy line ${line}, column ${column} (${field}): ${reason}: ${JSON.stringify(shown)}`);
  }
}

const ACTIONS: Record<string, { action: PolicyAction; v6only: boolean }> = {
  accept: { action: 'accept', v6only: false },
  reject: { action: 'reject', v6only: false },
  accept6: { action: 'accept', v6only: true },
  reject6: { action: 'reject', v6only: true },
};

const DECIMAL = /^(0|[1-9][0-9]*)$/;

/**
 * Parses one item into its rules (one, or one per range for `private`). `column` is the 1-based
 * column of `item` in its line, so errors point into the line as the operator wrote it.
 */
export function parsePolicyItem(item: string, line: number, column: number): PolicyRule[] {
  const fail = (offset: number, field: PolicyField, reason: string): never => {
    throw new ExitPolicyError(line, column + offset, field, reason, item);
  };
  if (item.length > MAX_ITEM_CHARS) fail(0, 'line', `rule longer than ${MAX_ITEM_CHARS} characters`);
  const space = item.search(/\s/);
  const keyword = (space < 0 ? item : item.slice(0, space)).toLowerCase();
  const kind = ACTIONS[keyword];
  if (!kind) fail(0, 'action', "expected 'accept', 'reject', 'accept6' or 'reject6'");
  const { action, v6only } = kind as { action: PolicyAction; v6only: boolean };
  if (space < 0) fail(item.length, 'address', 'missing ADDR[/PREFIX][:PORT] after the action');
  const specStart = item.slice(space).search(/\S/) + space;
  const spec = item.slice(specStart);
  const extra = spec.search(/\s/);
  if (extra >= 0)
    fail(
      specStart + extra + spec.slice(extra).search(/\S/),
      'line',
      'unexpected text after the rule (separate rules with a comma)',
    );

  // Split ADDR[/PREFIX] from :PORT. A bracketed IPv6 address holds colons of its own.
  let addrEnd: number;
  if (spec.startsWith('[')) {
    const close = spec.indexOf(']');
    if (close < 0) fail(specStart, 'address', "IPv6 address without closing ']'");
    const colon = spec.indexOf(':', close);
    addrEnd = colon < 0 ? spec.length : colon;
  } else {
    // Several colons: a bare IPv6 address as Nym's policy files write it; the port follows the last.
    const colon = spec.indexOf(':');
    const last = spec.lastIndexOf(':');
    addrEnd = colon < 0 ? spec.length : colon === last ? colon : last;
  }
  const addrText = spec.slice(0, addrEnd);
  const portText = addrEnd < spec.length ? spec.slice(addrEnd + 1) : '*';
  const addresses = parseAddress(addrText, v6only, (offset, field, reason) => fail(specStart + offset, field, reason));
  const ports = parsePorts(portText, (reason) => fail(specStart + addrEnd + 1, 'port', reason));
  return addresses.map((address) => ({ action, address, ports, line, text: item }));
}

type Fail = (offset: number, field: PolicyField, reason: string) => never;

function parseAddress(text: string, v6only: boolean, fail: Fail): AddressPattern[] {
  if (text.toLowerCase() === 'private') {
    // Tor's shorthand; here it means every range of PRIVATE_RANGES (of IPv6 only for accept6/reject6).
    return privatePatterns().filter((p) => !v6only || (p.kind === 'prefix' && p.family === 6));
  }
  return [parseOneAddress(text, v6only, fail)];
}

let privateCache: AddressPattern[] | undefined;
function privatePatterns(): AddressPattern[] {
  privateCache ??= PRIVATE_RANGES.map((range) =>
    parseOneAddress(range, false, (_o, _f, reason) => {
      throw new Error(`PRIVATE_RANGES entry ${range}: ${reason}`);
    }),
  );
  return privateCache;
}

function parseOneAddress(text: string, v6only: boolean, fail: Fail): AddressPattern {
  if (text === '') return fail(0, 'address', 'missing address (use * for any)');
  if (text === '*' || text === '*4' || text === '*6') {
    if (v6only && text === '*4') fail(0, 'address', "'*4' cannot be used with accept6/reject6");
    const family = text === '*4' ? 4 : text === '*6' || v6only ? 6 : undefined;
    return family === undefined ? { kind: 'any' } : { kind: 'any', family };
  }
  const slash = text.indexOf('/');
  const base = slash < 0 ? text : text.slice(0, slash);
  let family: IpFamily;
  let bytes: Uint8Array | undefined;
  if (base.startsWith('[')) {
    if (!base.endsWith(']')) fail(0, 'address', "unexpected text after ']'");
    bytes = parseIPv6(base.slice(1, -1));
    if (!bytes) fail(1, 'address', 'invalid IPv6 address');
    family = 6;
  } else if (base.includes(':')) {
    bytes = parseIPv6(base);
    if (!bytes) fail(0, 'address', 'invalid IPv6 address (without brackets, the port follows the last colon)');
    family = 6;
  } else {
    bytes = parseIPv4(base);
    family = 4;
    if (!bytes) {
      if (/^[0-9.]+$/.test(base)) fail(0, 'address', 'invalid IPv4 address (four decimal numbers 0-255)');
      if (slash >= 0) fail(slash, 'prefix', 'a prefix length only goes with an IP address');
      if (v6only) fail(0, 'address', 'accept6/reject6 take IPv6 addresses; use accept/reject for host names');
      const pattern = parseHostPattern(base);
      if (typeof pattern === 'string') return fail(0, 'address', pattern);
      return { kind: 'host', pattern };
    }
    if (v6only) fail(0, 'address', 'accept6/reject6 take IPv6 addresses, not IPv4');
  }
  const max = family === 4 ? 32 : 128;
  let bits = max;
  if (slash >= 0) {
    const prefixText = text.slice(slash + 1);
    if (!DECIMAL.test(prefixText) || prefixText.length > 3 || Number(prefixText) > max) {
      fail(slash + 1, 'prefix', `prefix length must be a number from 0 to ${max}`);
    }
    bits = Number(prefixText);
  }
  const addr = bytes as Uint8Array;
  // A rule inside ::ffff:0:0/96 names IPv4 addresses; destinations are compared in IPv4 form too.
  if (family === 6 && bits >= 96 && isV4Mapped(addr)) {
    return { kind: 'prefix', family: 4, bytes: addr.slice(12), bits: bits - 96 };
  }
  return { kind: 'prefix', family, bytes: addr, bits };
}

function parsePorts(text: string, fail: (reason: string) => never): PortRange {
  if (text === '*') return { from: 1, to: 65535 };
  const dash = text.indexOf('-');
  const fromText = dash < 0 ? text : text.slice(0, dash);
  const toText = dash < 0 ? text : text.slice(dash + 1);
  const port = (t: string): number => {
    if (!DECIMAL.test(t) || t.length > 5)
      fail(`expected '*', a port or a range like 8000-8100, got ${JSON.stringify(t)}`);
    const n = Number(t);
    // Port 0 is legal (Nym's files use it); no connection goes to port 0, so it never matches.
    if (n > 65535) fail(`port ${n} is outside 0-65535`);
    return n;
  };
  const from = port(fromText);
  const to = port(toText);
  if (from > to) fail(`port range ${from}-${to} is empty (first port above the last)`);
  return { from, to };
}
