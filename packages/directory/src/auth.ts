/** Who may use the admin routes (docs/directory.md §6): shared with the nodes, in @mixnet/sphinx/wire. */
export { type AdminDecision, authorizeAdmin, isLoopback, tokenMatches } from '@mixnet/sphinx/wire';
