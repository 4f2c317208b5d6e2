/**
 * Policies shipped with the package.
 *
 * DEFAULT_EXIT_POLICY refuses everything. A network requester opens TCP connections on behalf of
 * anonymous strangers, so nothing is reachable until its operator says what is: a testnet
 * writes a policy naming its local services, a public exit starts from PRIVATE_ADDRESS_POLICY
 * and adds the ports it is willing to carry.
 */

export const DEFAULT_EXIT_POLICY = `# Default exit policy: nothing is allowed until the operator writes a policy.
# Format: accept|reject|accept6|reject6 ADDR[/PREFIX][:PORT[-PORT]], first match wins.
reject *:*
`;

/**
 * Reject lines for addresses that must never be reached from an exit (loopback, private, link
 * local, carrier-grade NAT, multicast, documentation and reserved ranges, "this host"), for
 * IPv4 and IPv6. Put it first, then your accept lines, e.g. `accept *:443`.
 */
export const PRIVATE_ADDRESS_POLICY = `# Never reachable through this exit: this host, private and reserved networks.
reject 0.0.0.0/8:*
reject 10.0.0.0/8:*
reject 100.64.0.0/10:*
reject 127.0.0.0/8:*
reject 169.254.0.0/16:*
reject 172.16.0.0/12:*
reject 192.0.0.0/24:*
reject 192.0.2.0/24:*
reject 192.168.0.0/16:*
reject 198.18.0.0/15:*
reject 198.51.100.0/24:*
reject 203.0.113.0/24:*
reject 224.0.0.0/3:*
reject6 [::]/128:*
reject6 [::1]/128:*
reject6 [64:ff9b::]/96:*
reject6 [64:ff9b:1::]/48:*
reject6 [2001:db8::]/32:*
reject6 [2002::]/16:*
reject6 [fc00::]/7:*
reject6 [fe80::]/10:*
reject6 [fec0::]/10:*
reject6 [ff00::]/8:*
`;
