/**
 * Exit policy in torrc syntax, as Nym's network requester uses it: `accept|reject|accept6|reject6
 * ADDR[/PREFIX][:PORT[-PORT]]`, one or more comma-separated items per line, `#` comments, first
 * match wins, default deny. ADDR may also be a host name (`example.com`, `*.example.com`).
 *
 * A host name rule matches the name the client asked for; an address rule matches each address
 * that name resolves to. A name is allowed only when every resolved address is allowed, so
 * `reject 127.0.0.0/8:*` before `accept *:*` also stops a name that resolves to 127.0.0.1.
 */
import { hostMatches, hostnameProblem, normalizeHostname } from './hostname.js';
import { formatIp, type IpAddress, normalizeIp, parseIp, prefixEquals } from './ip.js';
import { type AddressPattern, ExitPolicyError, type PolicyRule, parsePolicyItem } from './policy-line.js';

export type { AddressPattern, PolicyAction, PolicyField, PolicyRule, PortRange } from './policy-line.js';
export { ExitPolicyError } from './policy-line.js';

export interface PolicyRuleRef {
  readonly line: number;
  readonly text: string;
}

export interface PolicyDestination {
  /** An IPv4/IPv6 literal (IPv6 optionally in brackets) or a host name. */
  readonly host: string;
  readonly port: number;
}

export type VerdictReason = 'matched' | 'default-deny' | 'invalid-destination' | 'no-addresses';

export interface PolicyVerdict {
  readonly allowed: boolean;
  /** The rule that decided; absent for default deny and invalid destinations. */
  readonly rule?: PolicyRuleRef;
  readonly reason: VerdictReason;
  /**
   * False only when check() was given a host name and the outcome depends on which addresses
   * it resolves to (then `allowed` is true: resolve it and call checkResolved).
   */
  readonly decided: boolean;
  /** checkResolved: the resolved address the verdict is about (the first refused one, if any). */
  readonly address?: string;
  /** One line for a log: why. */
  readonly message: string;
}

export interface ExitPolicy {
  readonly rules: readonly PolicyRule[];
  /** Verdict before DNS: final for IP literals; for names see PolicyVerdict.decided. */
  check(dest: PolicyDestination): PolicyVerdict;
}

/** Parses policy text; throws ExitPolicyError (line, column, field) on the first bad item. */
export function parseExitPolicy(text: string): ExitPolicy {
  const rules: PolicyRule[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const lineNo = index + 1;
    const hash = raw.indexOf('#');
    const body = hash < 0 ? raw : raw.slice(0, hash);
    let offset = 0;
    // Nym's published policy file prefixes each line with torrc's option name.
    const prefix = /^\s*ExitPolicy(?=\s|$)/i.exec(body);
    if (prefix) offset = prefix[0].length;
    if (body.slice(offset).trim() === '') {
      if (prefix) throw new ExitPolicyError(lineNo, offset + 1, 'line', 'ExitPolicy without a rule', raw.trim());
      return;
    }
    for (const part of body.slice(offset).split(',')) {
      const lead = part.search(/\S/);
      const item = part.trim();
      if (item === '') throw new ExitPolicyError(lineNo, offset + 1, 'line', 'empty rule between commas', raw.trim());
      rules.push(...parsePolicyItem(item, lineNo, offset + lead + 1));
      offset += part.length + 1;
    }
  });
  return createExitPolicy(rules);
}

/** A policy over already parsed rules (first match wins, default deny). */
export function createExitPolicy(rules: readonly PolicyRule[]): ExitPolicy {
  const frozen = Object.freeze([...rules]);
  return { rules: frozen, check: (dest) => checkDestination(frozen, dest) };
}

const refOf = (rule: PolicyRule): PolicyRuleRef => ({ line: rule.line, text: rule.text });

const portMatches = (rule: PolicyRule, port: number): boolean => port >= rule.ports.from && port <= rule.ports.to;

function addressMatches(pattern: AddressPattern, name: string | undefined, ip: IpAddress): boolean {
  switch (pattern.kind) {
    case 'any':
      return pattern.family === undefined || pattern.family === ip.family;
    case 'prefix':
      return pattern.family === ip.family && prefixEquals(pattern.bytes, ip.bytes, pattern.bits);
    case 'host':
      return name !== undefined && hostMatches(pattern.pattern, name);
  }
}

function verdictFor(
  rules: readonly PolicyRule[],
  name: string | undefined,
  ip: IpAddress,
  port: number,
): PolicyVerdict {
  const address = formatIp(ip);
  for (const rule of rules) {
    if (!portMatches(rule, port) || !addressMatches(rule.address, name, ip)) continue;
    const allowed = rule.action === 'accept';
    return {
      allowed,
      rule: refOf(rule),
      reason: 'matched',
      decided: true,
      address,
      message: `${allowed ? 'accepted' : 'rejected'} by line ${rule.line} "${rule.text}"`,
    };
  }
  return { allowed: false, reason: 'default-deny', decided: true, address, message: 'no rule matched (default deny)' };
}

function invalid(message: string): PolicyVerdict {
  return { allowed: false, reason: 'invalid-destination', decided: true, message };
}

function portProblem(port: number): string | undefined {
  return Number.isInteger(port) && port >= 1 && port <= 65535 ? undefined : `invalid port ${port}`;
}

function checkDestination(rules: readonly PolicyRule[], dest: PolicyDestination): PolicyVerdict {
  const badPort = portProblem(dest.port);
  if (badPort) return invalid(badPort);
  const ip = parseIp(dest.host);
  if (ip) return verdictFor(rules, undefined, normalizeIp(ip), dest.port);
  const name = normalizeHostname(dest.host);
  if (name === undefined) return invalid(`invalid host ${JSON.stringify(dest.host)}: ${hostnameProblem(dest.host)}`);
  return checkName(rules, name, dest.port);
}

/**
 * A name before DNS: rules that depend on the address (prefixes, `*4`, `*6`) cannot be decided
 * yet. Walk to the first rule that matches whatever the address is; if every possible outcome
 * on the way agrees, that is the verdict, otherwise it waits for checkResolved.
 */
function checkName(rules: readonly PolicyRule[], name: string, port: number): PolicyVerdict {
  let sawAccept = false;
  let sawReject = false;
  for (const rule of rules) {
    if (!portMatches(rule, port)) continue;
    const a = rule.address;
    const certain = a.kind === 'host' ? hostMatches(a.pattern, name) : a.kind === 'any' && a.family === undefined;
    if (a.kind === 'host' && !certain) continue;
    if (rule.action === 'accept') sawAccept = true;
    else sawReject = true;
    if (!certain) continue;
    if (sawAccept && sawReject) return pending(name);
    const allowed = rule.action === 'accept';
    const how = allowed ? 'accepted' : 'rejected';
    return {
      allowed,
      rule: refOf(rule),
      reason: 'matched',
      decided: true,
      message: `${how} by line ${rule.line} "${rule.text}"`,
    };
  }
  if (sawAccept) return pending(name);
  return { allowed: false, reason: 'default-deny', decided: true, message: 'no rule matched (default deny)' };
}

function pending(name: string): PolicyVerdict {
  return {
    allowed: true,
    reason: 'matched',
    decided: false,
    message: `${name} depends on the addresses it resolves to`,
  };
}

/**
 * The verdict after DNS: `host` as the client sent it, `ips` what it resolved to (strings as
 * from dns.lookup, IPv4-mapped IPv6 allowed). Denied when there are no addresses or ANY of
 * them is refused. Connect only to the addresses checked here; do not resolve again.
 */
export function checkResolved(policy: ExitPolicy, host: string, ips: readonly string[], port: number): PolicyVerdict {
  const badPort = portProblem(port);
  if (badPort) return invalid(badPort);
  const literal = parseIp(host);
  let name: string | undefined;
  if (!literal) {
    name = normalizeHostname(host);
    if (name === undefined) return invalid(`invalid host ${JSON.stringify(host)}: ${hostnameProblem(host)}`);
  }
  const addresses: IpAddress[] = literal ? [normalizeIp(literal)] : [];
  for (const text of ips) {
    const ip = parseIp(text);
    if (!ip) return invalid(`resolved address ${JSON.stringify(text)} is not an IP address`);
    addresses.push(normalizeIp(ip));
  }
  if (addresses.length === 0) {
    return { allowed: false, reason: 'no-addresses', decided: true, message: `${host} resolved to no address` };
  }
  let first: PolicyVerdict | undefined;
  for (const ip of addresses) {
    const verdict = verdictFor(policy.rules, name, ip, port);
    if (!verdict.allowed) return { ...verdict, message: `${verdict.address}: ${verdict.message}` };
    first ??= verdict;
  }
  return first as PolicyVerdict;
}
