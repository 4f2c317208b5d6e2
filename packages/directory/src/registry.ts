/**
 * Registered nodes and service providers, by identity key (docs/directory.md §2). A descriptor is
 * checked by the shared verifier (size, shape, signature, proofs, freshness), then here: admission,
 * the id bound to its first identity (ID_CONFLICT), and issuedAt strictly increasing per identity
 * (REPLAYED). A registration not renewed within 3 × announceMs is expired.
 */
import { encodeNodeAddress } from '@mixnet/sphinx';
import {
  type Descriptor,
  DescriptorError,
  type NodeDescriptor,
  parseHostPort,
  type ServiceProviderDescriptor,
  type SignedDescriptor,
  type VerifyDescriptorOptions,
  verifyDescriptor,
} from '@mixnet/sphinx/wire';

export interface RegistryEntry<D extends Descriptor = Descriptor> {
  descriptor: D;
  /** As received, so anyone can check it again. */
  signed: SignedDescriptor;
  firstSeen: number;
  /** When the directory last accepted a descriptor from this identity (its clock). */
  lastAnnounce: number;
}

export type NodeEntry = RegistryEntry<NodeDescriptor>;
export type ServiceProviderEntry = RegistryEntry<ServiceProviderDescriptor>;

export type Admission = 'open' | { identityKeys: readonly string[] };

export interface RegistryOptions {
  admission: Admission;
  announceMs: number;
  now?: () => number;
  /** Entries restored from disk. */
  restore?: readonly RegistryEntry[];
  /**
   * Expiry counts from no earlier than this: a restarted directory gives every node a full
   * 3 × announceMs to re-announce before it drops out (default: now).
   */
  since?: number;
  /** Cheaper checks for what was verified before (descriptor-verifier.ts); default: the plain ones. */
  verifier?: Pick<VerifyDescriptorOptions, 'verifySignature' | 'verifyProof'>;
}

/** An accepted descriptor; `renewal` when it only re-announces what was registered (a newer issuedAt). */
export type SubmittedEntry = RegistryEntry & { readonly renewal: boolean };

export interface Registry {
  /** Checks and records a signed descriptor (the parsed request body); throws DescriptorError. */
  submit(body: unknown): SubmittedEntry;
  get(id: string): RegistryEntry | undefined;
  /** Nodes (mixes and gateways), expired ones included, ordered by id. */
  nodes(): NodeEntry[];
  serviceProviders(): ServiceProviderEntry[];
  isExpired(entry: RegistryEntry): boolean;
  /** Everything, for the store. */
  entries(): RegistryEntry[];
}

export const EXPIRY_ANNOUNCES = 3;

/** Sphinx headers carry an IP and a port (SPHINX.md §1.3): a host name cannot be routed to. */
function requireIpAddress(address: string): void {
  try {
    encodeNodeAddress(parseHostPort(address));
  } catch {
    throw new DescriptorError('MALFORMED', `descriptor.address must be an IP address and port, got "${address}"`);
  }
}

export function createRegistry(opts: RegistryOptions): Registry {
  const now = opts.now ?? Date.now;
  const since = opts.since ?? now();
  const admitted = opts.admission === 'open' ? null : new Set(opts.admission.identityKeys);
  const byIdentity = new Map<string, RegistryEntry>();
  const idOwner = new Map<string, string>();
  for (const e of opts.restore ?? []) {
    byIdentity.set(e.descriptor.identityKey, e);
    idOwner.set(e.descriptor.id, e.descriptor.identityKey);
  }
  const sorted = <E extends RegistryEntry>(list: E[]) =>
    list.sort((a, b) => (a.descriptor.id < b.descriptor.id ? -1 : 1));

  return {
    submit(body) {
      const at = now();
      const d = verifyDescriptor(body, { ...opts.verifier, now: at });
      if (d.kind === 'node') requireIpAddress(d.address);
      if (admitted && !admitted.has(d.identityKey))
        throw new DescriptorError(
          'NOT_ADMITTED',
          `identity ${d.identityKey.slice(0, 16)}… is not on the admission list`,
        );
      const owner = idOwner.get(d.id);
      if (owner !== undefined && owner !== d.identityKey)
        throw new DescriptorError('ID_CONFLICT', `id "${d.id}" is registered to another identity key`);
      const prev = byIdentity.get(d.identityKey);
      if (prev && d.issuedAt <= prev.descriptor.issuedAt)
        throw new DescriptorError(
          'REPLAYED',
          `descriptor of ${d.id} issued at ${d.issuedAt}, not after the last accepted (${prev.descriptor.issuedAt})`,
        );
      // An identity that renames itself frees its old id.
      if (prev && prev.descriptor.id !== d.id) idOwner.delete(prev.descriptor.id);
      const b = body as SignedDescriptor;
      const entry: RegistryEntry = {
        descriptor: d,
        signed: { descriptor: b.descriptor, signature: b.signature },
        firstSeen: prev?.firstSeen ?? at,
        lastAnnounce: at,
      };
      byIdentity.set(d.identityKey, entry);
      idOwner.set(d.id, d.identityKey);
      return { ...entry, renewal: prev !== undefined && sameButIssuedAt(prev.descriptor, d) };
    },
    get(id) {
      const key = idOwner.get(id);
      return key === undefined ? undefined : byIdentity.get(key);
    },
    nodes: () => sorted([...byIdentity.values()].filter((e): e is NodeEntry => e.descriptor.kind === 'node')),
    serviceProviders: () =>
      sorted(
        [...byIdentity.values()].filter((e): e is ServiceProviderEntry => e.descriptor.kind === 'service-provider'),
      ),
    isExpired: (e) => now() - Math.max(e.lastAnnounce, since) > EXPIRY_ANNOUNCES * opts.announceMs,
    entries: () => [...byIdentity.values()],
  };
}

/** Whether two descriptors say the same but for when they were issued. */
export function sameButIssuedAt(a: Descriptor, b: Descriptor): boolean {
  return JSON.stringify({ ...a, issuedAt: 0 }) === JSON.stringify({ ...b, issuedAt: 0 });
}
