import { PRIVATE_RANGES } from './private-ranges.js';

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
 * One reject line per PRIVATE_RANGES entry (the same as `reject private:*`, spelled out so an
 * operator sees what it covers). Put it first, then your accept lines, e.g. `accept *:443`.
 */
export const PRIVATE_ADDRESS_POLICY = `# Never reachable through this exit: this host, private and reserved networks.
${PRIVATE_RANGES.map((range) => `reject ${range}:*`).join('\n')}
`;
