/**
 * Addresses an exit must never reach for strangers: "this host", loopback, private, carrier-grade
 * NAT, link-local, documentation, benchmarking, multicast and reserved ranges; IPv6 unspecified,
 * loopback, ULA, link/site-local, multicast, documentation, and NAT64/6to4 (which embed IPv4).
 * The policy keyword `private` stands for all of them.
 */
export const PRIVATE_RANGES: readonly string[] = [
  '0.0.0.0/8',
  '10.0.0.0/8',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '172.16.0.0/12',
  '192.0.0.0/24',
  '192.0.2.0/24',
  '192.168.0.0/16',
  '198.18.0.0/15',
  '198.51.100.0/24',
  '203.0.113.0/24',
  '224.0.0.0/3',
  '[::]/127',
  '[64:ff9b::]/96',
  '[64:ff9b:1::]/48',
  '[2001:db8::]/32',
  '[2002::]/16',
  '[fc00::]/7',
  '[fe80::]/10',
  '[fec0::]/10',
  '[ff00::]/8',
];
