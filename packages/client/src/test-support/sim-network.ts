/**
 * A mixnet in one process, for tests that look at packets as hops and gateways see them: a
 * topology whose secret keys the test holds, a walk of a packet through its hops, and a gateway
 * (real WebSocket server, the real gateway protocol) that runs every packet a client sends through
 * all its hops at once and delivers the result to the client it is for.
 */
import type { AddressInfo } from 'node:net';
import {
  type CryptoBackend,
  encodeNodeAddress,
  expandSharedSecret,
  generateKeyPair,
  getBackend,
  type ProcessPacketResult,
  processPacket,
} from '@mixnet/sphinx';
import {
  decodeSend,
  encodeDeliver,
  hex,
  isDropCover,
  parseControl,
  readyProof,
  type Topology,
} from '@mixnet/sphinx/wire';
import { ed25519 } from '@noble/curves/ed25519.js';
import { type WebSocket, WebSocketServer } from 'ws';

export interface SimNetwork {
  topology: Topology;
  /** Sphinx secret key by hex node address. */
  secrets: Map<string, Uint8Array>;
  /** Ed25519 identity secret of each gateway, by id. */
  gatewayIdentities: Map<string, Uint8Array>;
}

/** One mix per layer (3 layers) and the given gateways, all on loopback addresses nobody listens on. */
export function simNetwork(gatewayIds: string[] = ['gw-a', 'gw-b'], backend = getBackend('native')): SimNetwork {
  const secrets = new Map<string, Uint8Array>();
  const gatewayIdentities = new Map<string, Uint8Array>();
  let port = 30_000 + Math.floor(Math.random() * 20_000);
  const node = (id: string) => {
    const kp = generateKeyPair({ backend });
    const identity = ed25519.utils.randomSecretKey();
    gatewayIdentities.set(id, identity);
    const p = port++;
    secrets.set(hex.encode(encodeNodeAddress({ host: '127.0.0.1', port: p })), kp.privateKey);
    return {
      id,
      address: `127.0.0.1:${p}`,
      sphinxKey: hex.encode(kp.publicKey),
      identityKey: hex.encode(ed25519.getPublicKey(identity)),
    };
  };
  const topology: Topology = {
    layers: [[node('mix-1')], [node('mix-2')], [node('mix-3')]],
    gateways: gatewayIds.map((id) => ({ ...node(id), clientUrl: 'ws://127.0.0.1:1' })),
    serviceProviders: [],
  };
  return { topology, secrets, gatewayIdentities };
}

/** What a hop learns from a packet before anything else: its flag, version and size (SPHINX.md §4.1). */
export function observeAtHop(backend: CryptoBackend, packet: Uint8Array, secret: Uint8Array): string {
  const e = expandSharedSecret(backend, backend.x25519(secret, packet.subarray(0, 32)));
  const stream = backend.aes128CtrKeystream(e.subarray(0, 16), 4);
  const beta = packet.subarray(48, 52);
  const flag = (beta[0] as number) ^ (stream[0] as number);
  const version = (((beta[2] as number) ^ (stream[2] as number)) << 8) | ((beta[3] as number) ^ (stream[3] as number));
  return `flag ${flag} version ${version} size ${packet.length}`;
}

/** Walks a packet through its route: what each hop observed, and the final hop's output. */
export function walk(
  net: SimNetwork,
  out: { firstHop: Uint8Array; packet: Uint8Array },
  backend = getBackend('native'),
): { seen: string[]; final: Extract<ProcessPacketResult, { kind: 'final' }> } {
  const seen: string[] = [];
  let packet = out.packet;
  let address = out.firstHop;
  for (let hop = 0; hop < 5; hop++) {
    const secret = net.secrets.get(hex.encode(address));
    if (!secret) throw new Error(`no node at ${hex.encode(address)}`);
    seen.push(observeAtHop(backend, packet, secret));
    const r = processPacket(packet, secret, { backend });
    if (r.kind === 'final') return { seen, final: r };
    packet = r.packet;
    address = r.nextAddress;
  }
  throw new Error('route longer than 5 hops');
}

const P = 2n ** 255n - 19n;
function modPow(base: bigint, exp: bigint): bigint {
  let result = 1n;
  let b = base % P;
  let e = exp;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % P;
    b = (b * b) % P;
    e >>= 1n;
  }
  return result;
}

/**
 * The distinguisher of issue 14 #8: do the first 32 bytes read as an X25519 public key (top bit 0,
 * a point on the curve rather than its twist)? Random bytes pass about 1 time in 4.
 */
export function looksLikeX25519Key(message: Uint8Array): boolean {
  if (message.length < 32 || ((message[31] as number) & 0x80) !== 0) return false;
  let u = 0n;
  for (let i = 31; i >= 0; i--) u = (u << 8n) | BigInt(message[i] as number);
  if (u >= P) return false;
  const rhs = (u * u * u + 486662n * u * u + u) % P;
  return rhs === 0n || modPow(rhs, (P - 1n) / 2n) === 1n;
}

export interface SimDelivery {
  /** Hex identity of the client whose SEND it was, and of the destination. */
  from: string;
  to: string;
  identifier: Uint8Array;
  payload: Uint8Array;
}

export interface SimGateway {
  url: string;
  /** What hop 1 observed of every packet sent through this gateway. */
  firstHop: string[];
  deliveries: SimDelivery[];
  dropCover: number;
  close(): Promise<void>;
}

/**
 * A gateway for `id` of `net` (its identity key is the topology's, so clients authenticate to it)
 * that runs each packet through every hop at once. Sets the gateway's `clientUrl` in the topology.
 */
export async function startSimGateway(
  net: SimNetwork,
  id: string,
  backend = getBackend('native'),
): Promise<SimGateway> {
  const identitySecret = net.gatewayIdentities.get(id) as Uint8Array;
  const identityKey = ed25519.getPublicKey(identitySecret);
  const sockets = new Map<string, WebSocket>();
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
  const entry = net.topology.gateways.find((g) => g.id === id);
  if (entry) entry.clientUrl = url;
  const sim: SimGateway = { url, firstHop: [], deliveries: [], dropCover: 0, close: async () => {} };

  wss.on('connection', (socket) => {
    const nonce = crypto.getRandomValues(new Uint8Array(32));
    let client: string | undefined;
    socket.send(JSON.stringify({ type: 'challenge', nonce: hex.encode(nonce), gateway: hex.encode(identityKey) }));
    socket.on('message', (data: Buffer, isBinary: boolean) => {
      if (!client) {
        const auth = parseControl(data.toString());
        if (auth.type !== 'auth') return;
        client = auth.identity;
        sockets.set(client, socket);
        const proof = readyProof(identitySecret, auth, nonce);
        socket.send(JSON.stringify({ type: 'ready', address: client, queued: 0, ...proof }));
        return;
      }
      if (!isBinary) return;
      const { firstHop, packet } = decodeSend(new Uint8Array(data));
      const { seen, final } = walk(net, { firstHop: firstHop.slice(), packet: packet.slice() }, backend);
      sim.firstHop.push(seen[0] as string);
      if (isDropCover(final.destination)) {
        sim.dropCover++;
        return;
      }
      const to = hex.encode(final.destination);
      sim.deliveries.push({ from: client, to, identifier: final.identifier, payload: final.payload });
      sockets.get(to)?.send(encodeDeliver(final.identifier, final.payload));
    });
  });
  sim.close = () =>
    new Promise<void>((resolve) => {
      for (const c of wss.clients) c.terminate();
      wss.close(() => resolve());
    });
  return sim;
}
