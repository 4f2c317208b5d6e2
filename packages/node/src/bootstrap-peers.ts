/**
 * `bootstrapPeers`: CIDRs whose hosts a relay treats as members while it knows no member yet (no
 * document from the directory). On Kubernetes pods get their IPs only when they start, so the
 * directory's first probes, which need mixes relaying for each other, would otherwise all fail.
 */
import { BlockList, isIPv4 } from 'node:net';

/** A predicate on a peer's IP: in one of `cidrs` while `bootstrapping()` holds. */
export function bootstrapPeers(cidrs: readonly string[] | undefined, bootstrapping: () => boolean) {
  if (!cidrs || cidrs.length === 0) return (_ip: string) => false;
  const list = new BlockList();
  for (const c of cidrs) {
    const [net, bits] = c.split('/');
    list.addSubnet(net as string, Number(bits), 'ipv4');
  }
  return (ip: string): boolean => {
    const v4 = ip.startsWith('::ffff:') ? ip.slice(7) : ip;
    return bootstrapping() && isIPv4(v4) && list.check(v4, 'ipv4');
  };
}
