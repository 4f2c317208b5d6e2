/**
 * Who the network is (issue 14, #1 #2 #4 #12): the nodes a relay may forward to and accept packets
 * from. Fed from a topology file today (membership-topology.ts), later from the directory's signed
 * documents. A node that left stays allowed for a grace period (packets in flight), then is
 * reported as departed so its link can be closed.
 *
 * Lookups are O(1) and allocate nothing: hosts are normalised once at update (through the Sphinx
 * address encoding, so a next hop decoded from a header compares equal to its topology entry).
 */
import { decodeNodeAddress, encodeNodeAddress } from '@mixnet/sphinx';
import { parseHostPort } from '@mixnet/sphinx/wire';

export interface MembershipNode {
  id: string;
  /** "host:port" as in topology ("[v6]:port" for IPv6). */
  address: string;
  role: 'mix' | 'gateway';
}

export interface Membership {
  /** Replaces the current member set. The previous set stays allowed for `graceMs` (packets in flight). */
  update(nodes: readonly MembershipNode[], opts?: { graceMs?: number }): void;
  /** Whether a next hop (decoded Sphinx address) is a current or in-grace member. False until the first update. */
  allowsNextHop(host: string, port: number): boolean;
  /** Whether an inbound peer IP belongs to a member (for the packet port's inbound filter). */
  isMemberHost(ip: string): boolean;
  /** The node id of a current or in-grace member at host:port (fault rules name peers by id). */
  idOf(host: string, port: number): string | undefined;
  readonly size: number;
  /** Called when members leave for good (after grace), so links to them can be closed. */
  onDeparted(cb: (departed: readonly { host: string; port: number }[]) => void): void;
}

export interface MembershipOptions {
  /** ms clock (default Date.now); grace ends are compared against it. */
  now?: () => number;
}

/** Default grace for members that left: longer than any hold (maxDelayMs) plus link queue age. */
export const DEFAULT_GRACE_MS = 60_000;

/** The host as decodeNodeAddress spells it (canonical IPv6 text); the input if it is not an IP. */
export function canonicalHost(host: string): string {
  try {
    return decodeNodeAddress(encodeNodeAddress({ host, port: 0 })).host;
  } catch {
    return host;
  }
}

/** A peer's socket address as an IP comparable with member hosts ("::ffff:10.0.0.1" → "10.0.0.1"). */
export function peerHost(ip: string): string {
  if (ip.startsWith('::ffff:') && ip.includes('.')) return ip.slice(7);
  return ip.includes(':') ? canonicalHost(ip) : ip;
}

interface Endpoint {
  host: string;
  port: number;
}

export function createMembership(opts: MembershipOptions = {}): Membership {
  const now = opts.now ?? Date.now;
  /** host → ports of current members. */
  let current = new Map<string, Set<number>>();
  let size = 0;
  /** "host port" → the end of its grace, for members that left. */
  const grace = new Map<string, { host: string; port: number; until: number }>();
  /** host → how many current or in-grace endpoints it has. */
  const hostRefs = new Map<string, number>();
  /** "host port" → node id, for current and in-grace members. */
  let ids = new Map<string, string>();
  const departedListeners: ((d: readonly Endpoint[]) => void)[] = [];
  let timer: NodeJS.Timeout | undefined;

  const ref = (host: string, delta: number) => {
    const n = (hostRefs.get(host) ?? 0) + delta;
    if (n <= 0) hostRefs.delete(host);
    else hostRefs.set(host, n);
  };

  /** Ends graces that are over; reports those members as departed. */
  const sweep = () => {
    const t = now();
    const gone: Endpoint[] = [];
    let next = Number.POSITIVE_INFINITY;
    for (const [key, g] of grace) {
      if (g.until <= t) {
        grace.delete(key);
        ids.delete(key);
        ref(g.host, -1);
        gone.push({ host: g.host, port: g.port });
      } else next = Math.min(next, g.until);
    }
    clearTimeout(timer);
    timer = undefined;
    if (Number.isFinite(next)) {
      timer = setTimeout(sweep, Math.max(0, next - t));
      timer.unref();
    }
    if (gone.length > 0) for (const cb of departedListeners) cb(gone);
  };

  return {
    update(nodes, updateOpts = {}) {
      const graceMs = Math.max(0, updateOpts.graceMs ?? DEFAULT_GRACE_MS);
      const next = new Map<string, Set<number>>();
      const nextIds = new Map<string, string>();
      let count = 0;
      for (const n of nodes) {
        const { host, port } = parseHostPort(n.address);
        const h = canonicalHost(host);
        nextIds.set(`${h} ${port}`, n.id);
        let ports = next.get(h);
        if (ports === undefined) {
          ports = new Set();
          next.set(h, ports);
        }
        if (!ports.has(port)) count++;
        ports.add(port);
      }
      const until = now() + graceMs;
      // Members that left go into grace (keeping an earlier end if they were there already).
      for (const [host, ports] of current) {
        for (const port of ports) {
          if (next.get(host)?.has(port)) continue;
          const key = `${host} ${port}`;
          if (!grace.has(key)) {
            grace.set(key, { host, port, until });
            ref(host, 1);
          }
          const id = ids.get(key);
          if (id !== undefined) nextIds.set(key, id);
          ref(host, -1);
        }
      }
      // Members that are back leave grace.
      for (const [host, ports] of next) {
        for (const port of ports) {
          const key = `${host} ${port}`;
          if (grace.delete(key)) ref(host, -1);
          if (!current.get(host)?.has(port)) ref(host, 1);
        }
      }
      current = next;
      ids = nextIds;
      size = count;
      sweep();
    },

    allowsNextHop(host, port) {
      if (current.get(host)?.has(port)) return true;
      if (grace.size === 0) return false;
      const g = grace.get(`${host} ${port}`);
      return g !== undefined && g.until > now();
    },

    idOf(host, port) {
      return ids.get(`${host} ${port}`);
    },

    isMemberHost(ip) {
      return hostRefs.has(peerHost(ip));
    },

    get size() {
      return size;
    },

    onDeparted(cb) {
      departedListeners.push(cb);
    },
  };
}
