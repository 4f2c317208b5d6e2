/**
 * Who may use admin routes (the directory's /v1/admin, a node's /admin/faults): a request from
 * loopback, or one with `Authorization: Bearer <token>`. A wrong token is refused even from
 * loopback: whoever sends credentials means them. Tokens are compared in constant time (as SHA-256
 * digests, so their lengths do not leak either). No Node imports: this module is in the wire entry.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { constantTimeEqual } from '../bytes.js';

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** 127.0.0.0/8, ::1, and IPv4-mapped loopback (::ffff:127.x.y.z). */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const a = address.toLowerCase();
  if (a === '::1' || a === '0:0:0:0:0:0:0:1') return true;
  const v4 = a.startsWith('::ffff:') ? a.slice(7) : a;
  return IPV4.test(v4) && v4.startsWith('127.');
}

const digest = (s: string) => sha256(new TextEncoder().encode(s));

export function tokenMatches(given: string, expected: string): boolean {
  return constantTimeEqual(digest(given), digest(expected));
}

export type AdminDecision = { ok: true; via: 'token' | 'loopback' } | { ok: false; reason: string };

export function authorizeAdmin(req: {
  remoteAddress: string | undefined;
  authorization: string | undefined;
  token: string | undefined;
}): AdminDecision {
  if (req.authorization !== undefined) {
    const m = /^Bearer ([^\s]+)$/.exec(req.authorization);
    if (!m || req.token === undefined || !tokenMatches(m[1] as string, req.token))
      return { ok: false, reason: 'bad token' };
    return { ok: true, via: 'token' };
  }
  if (isLoopback(req.remoteAddress)) return { ok: true, via: 'loopback' };
  return { ok: false, reason: 'admin routes need loopback or a Bearer token' };
}
