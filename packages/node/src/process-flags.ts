/**
 * Node flags a relay process starts with (the testnet's runtimes and the node bench pass them).
 *
 * V8 starts incremental marking as soon as the old generation's headroom falls below the new
 * space's capacity. A relay's steady stream of short-lived packet buffers grows new space to its
 * 16 MB maximum, so with the small default initial old space a busy mix ran a full mark-compact
 * every ~150 ms while holding only ~13 MB live. Starting the old space at 64 MB (where the first
 * full GC is considered, not a cap) stops that: in `mixnet bench --suite node` the mix went from
 * about 129 to 114 µs of CPU per forwarded packet. Node refuses the flag in NODE_OPTIONS, hence argv.
 */
export const RELAY_NODE_FLAGS: readonly string[] = ['--initial-old-space-size=64'];

/** The node flags for a `mixnet run <role>` process: RELAY_NODE_FLAGS for relays and node hosts, none for the rest. */
export function nodeFlagsFor(role: string): readonly string[] {
  return role === 'mix' || role === 'gateway' || role === 'host' ? RELAY_NODE_FLAGS : [];
}
