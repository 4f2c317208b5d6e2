/**
 * A small memo for per-peer work a client repeats on every send (issue 16 #4): checking an
 * identity is an Ed25519 point (a field square root) and mapping it to X25519 cost about as much
 * as a Sphinx hop each, for every message to the same peer. Bounded: past `max` entries the oldest
 * goes, so a client sending to many peers cannot grow it without end.
 */
export interface BoundedCache<V> {
  get(key: string, make: () => V): V;
}

export function createBoundedCache<V>(max: number): BoundedCache<V> {
  const map = new Map<string, V>();
  return {
    get(key, make) {
      const hit = map.get(key);
      if (hit !== undefined) return hit;
      const value = make(); // may throw: nothing is stored then
      if (map.size >= max) map.delete(map.keys().next().value as string);
      map.set(key, value);
      return value;
    },
  };
}
