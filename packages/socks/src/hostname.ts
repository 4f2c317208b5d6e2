/** DNS names as exit-policy rules and destinations see them: validated, lower case, no trailing dot. */

/** Longest DNS name in text form (RFC 1035: 255 octets on the wire). */
export const MAX_HOSTNAME_LENGTH = 253;

const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;
// A last label like "1" or "0x7f" makes inet_aton-style resolvers read the whole name as an IPv4
// address ("127.1", "0x7f.1"); no real TLD looks like that, so such names are refused outright.
const NUMERIC_LABEL = /^(?:[0-9]+|0x[0-9a-f]*)$/;

/** Why a name is not a hostname, or undefined when it is one. */
export function hostnameProblem(text: string): string | undefined {
  const name = text.endsWith('.') ? text.slice(0, -1) : text;
  if (name.length === 0) return 'empty host name';
  if (name.length > MAX_HOSTNAME_LENGTH) return `host name longer than ${MAX_HOSTNAME_LENGTH} characters`;
  const labels = name.toLowerCase().split('.');
  for (const label of labels) {
    if (label.length === 0) return 'empty label in host name';
    if (!LABEL.test(label))
      return `invalid host name label "${label}" (letters, digits, '-' and '_' only; IDNs as xn--)`;
  }
  if (NUMERIC_LABEL.test(labels[labels.length - 1] as string)) {
    return 'numeric last label: not a host name and not a dotted-quad IPv4 address';
  }
  return undefined;
}

/** Lower-cased name without a trailing dot, or undefined when it is not a valid hostname. */
export function normalizeHostname(text: string): string | undefined {
  if (hostnameProblem(text) !== undefined) return undefined;
  return (text.endsWith('.') ? text.slice(0, -1) : text).toLowerCase();
}

/** An exact name, or `*.suffix` which matches every name below suffix (not suffix itself). */
export type HostPattern =
  | { readonly kind: 'exact'; readonly name: string }
  | { readonly kind: 'subdomains'; readonly suffix: string };

/** Parses `example.com` or `*.example.com`; returns an error message for anything else. */
export function parseHostPattern(text: string): HostPattern | string {
  if (text.startsWith('*.')) {
    const suffix = text.slice(2);
    const problem = hostnameProblem(suffix);
    if (problem) return problem;
    return { kind: 'subdomains', suffix: normalizeHostname(suffix) as string };
  }
  if (text.includes('*')) return "a wildcard is only allowed as a whole first label, as in '*.example.com'";
  const problem = hostnameProblem(text);
  if (problem) return problem;
  return { kind: 'exact', name: normalizeHostname(text) as string };
}

/** `name` must already be normalized. */
export function hostMatches(pattern: HostPattern, name: string): boolean {
  if (pattern.kind === 'exact') return name === pattern.name;
  return name.length > pattern.suffix.length + 1 && name.endsWith(`.${pattern.suffix}`);
}
