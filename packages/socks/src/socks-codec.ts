/**
 * Server side of the SOCKS handshake: SOCKS5 (RFC 1928, no authentication, CONNECT to IPv4,
 * IPv6 or a domain), SOCKS4 and SOCKS4a (CONNECT). Bytes are fed as they arrive, split anywhere;
 * every malformed or unsupported handshake ends in a SocksProtocolError carrying the exact
 * bytes to send before closing.
 */
import { formatIp } from './ip.js';
import {
  failureReply,
  SOCKS4_REJECTED,
  SOCKS5_NO_ACCEPTABLE_METHOD,
  SOCKS5_NO_AUTH,
  SOCKS5_REPLY,
  type Socks5ReplyCode,
  socks4Reply,
} from './socks-reply.js';

export type SocksVersion = 4 | 5;
export type SocksAddressType = 'ipv4' | 'ipv6' | 'domain';

export interface SocksRequest {
  readonly version: SocksVersion;
  /** Only CONNECT is supported; anything else is a SocksProtocolError. */
  readonly command: 'connect';
  /** Dotted IPv4, canonical IPv6 (no brackets), or the domain exactly as sent. */
  readonly host: string;
  readonly port: number;
  readonly addressType: SocksAddressType;
  /** SOCKS4 USERID (ignored by the proxy, kept for logs). */
  readonly userId?: string;
}

/** Longest domain or SOCKS4 USERID accepted (SOCKS5 cannot express more; SOCKS4 gets the same cap). */
export const MAX_SOCKS_NAME_BYTES = 255;
/** Default cap on buffered handshake bytes; every valid handshake fits in 520. */
export const DEFAULT_MAX_HANDSHAKE_BYTES = 600;

export type SocksErrorField =
  | 'version'
  | 'methods'
  | 'command'
  | 'reserved'
  | 'addressType'
  | 'host'
  | 'userId'
  | 'size';

/** A handshake this proxy will not serve: send `reply` (possibly empty), then close. */
export class SocksProtocolError extends Error {
  override readonly name = 'SocksProtocolError';
  constructor(
    message: string,
    readonly field: SocksErrorField,
    /** The version the client spoke, when known. */
    readonly version: SocksVersion | undefined,
    /** SOCKS5 REP or SOCKS4 CD code of the reply, 0xff for "no acceptable method", undefined when no reply. */
    readonly code: number | undefined,
    /** Exact bytes to write before closing. */
    readonly reply: Uint8Array,
  ) {
    super(message);
  }
}

export type SocksParseResult =
  | { readonly kind: 'need-more'; readonly reply?: Uint8Array }
  | { readonly kind: 'request'; readonly request: SocksRequest; readonly reply?: Uint8Array; readonly rest: Uint8Array }
  | { readonly kind: 'error'; readonly error: SocksProtocolError };

export interface SocksParser {
  /**
   * Feed the next bytes. `reply` on need-more/request is the SOCKS5 method selection, to be
   * written now (it is sent once); `rest` holds bytes the client sent after its request.
   */
  push(chunk: Uint8Array): SocksParseResult;
}

export interface SocksParserOptions {
  /** Cap on buffered bytes before the request is complete (default 600). */
  readonly maxHandshakeBytes?: number;
}

type Step =
  | { kind: 'need-more' }
  | { kind: 'greeting'; consumed: number }
  | { kind: 'request'; request: SocksRequest; consumed: number }
  | { kind: 'error'; error: SocksProtocolError };

const NEED_MORE: Step = { kind: 'need-more' };
const METHOD_SELECTED = Uint8Array.of(0x05, SOCKS5_NO_AUTH);

const latin1 = (bytes: Uint8Array): string => String.fromCharCode(...bytes);
const printable = (bytes: Uint8Array): boolean => bytes.every((b) => b > 0x20 && b < 0x7f);
const portAt = (b: Uint8Array, i: number): number => ((b[i] as number) << 8) | (b[i + 1] as number);

function fail5(field: SocksErrorField, code: Exclude<Socks5ReplyCode, 0>, message: string): Step {
  return { kind: 'error', error: new SocksProtocolError(message, field, 5, code, failureReply(5, code)) };
}

function fail4(field: SocksErrorField, message: string): Step {
  return { kind: 'error', error: new SocksProtocolError(message, field, 4, SOCKS4_REJECTED, socks4Reply(false)) };
}

function notSocks(first: number): Step {
  const ascii = first >= 0x41 && first <= 0x5a ? ` ('${String.fromCharCode(first)}': an HTTP proxy request?)` : '';
  const hex = first.toString(16).padStart(2, '0');
  return {
    kind: 'error',
    error: new SocksProtocolError(
      `not a SOCKS4/5 handshake: first byte 0x${hex}${ascii}`,
      'version',
      undefined,
      undefined,
      new Uint8Array(0),
    ),
  };
}

/** VER NMETHODS METHODS: accepted when NO AUTHENTICATION REQUIRED is offered. */
function parseGreeting(b: Uint8Array): Step {
  if (b.length < 2) return NEED_MORE;
  const count = b[1] as number;
  if (b.length < 2 + count) return NEED_MORE;
  if (!b.subarray(2, 2 + count).includes(SOCKS5_NO_AUTH)) {
    const reply = Uint8Array.of(0x05, SOCKS5_NO_ACCEPTABLE_METHOD);
    const message = 'SOCKS5 client offers no "no authentication" method (username/password is not supported)';
    return { kind: 'error', error: new SocksProtocolError(message, 'methods', 5, SOCKS5_NO_ACCEPTABLE_METHOD, reply) };
  }
  return { kind: 'greeting', consumed: 2 + count };
}

/** VER CMD RSV ATYP DST.ADDR DST.PORT */
function parseRequest5(b: Uint8Array): Step {
  if (b.length < 4) {
    if (b.length >= 1 && b[0] !== 0x05)
      return fail5('version', SOCKS5_REPLY.generalFailure, `SOCKS5 request with version ${b[0]}`);
    return NEED_MORE;
  }
  if (b[0] !== 0x05) return fail5('version', SOCKS5_REPLY.generalFailure, `SOCKS5 request with version ${b[0]}`);
  const cmd = b[1] as number;
  if (cmd !== 0x01) {
    const name = cmd === 0x02 ? 'BIND' : cmd === 0x03 ? 'UDP ASSOCIATE' : `command 0x${cmd.toString(16)}`;
    return fail5('command', SOCKS5_REPLY.commandNotSupported, `SOCKS5 ${name} is not supported (CONNECT only)`);
  }
  if (b[2] !== 0x00)
    return fail5('reserved', SOCKS5_REPLY.generalFailure, 'SOCKS5 request with a non-zero reserved byte');
  const atyp = b[3] as number;
  let host: string;
  let addressType: SocksAddressType;
  let end: number;
  if (atyp === 0x01) {
    end = 4 + 4;
    if (b.length < end + 2) return NEED_MORE;
    host = formatIp({ family: 4, bytes: b.subarray(4, end) });
    addressType = 'ipv4';
  } else if (atyp === 0x04) {
    end = 4 + 16;
    if (b.length < end + 2) return NEED_MORE;
    host = formatIp({ family: 6, bytes: b.subarray(4, end) });
    addressType = 'ipv6';
  } else if (atyp === 0x03) {
    if (b.length < 5) return NEED_MORE;
    const len = b[4] as number;
    if (len === 0) return fail5('host', SOCKS5_REPLY.generalFailure, 'SOCKS5 request with an empty domain name');
    end = 5 + len;
    if (b.length < end + 2) return NEED_MORE;
    const name = b.subarray(5, end);
    if (!printable(name)) {
      return fail5('host', SOCKS5_REPLY.generalFailure, 'SOCKS5 domain name with control, space or non-ASCII bytes');
    }
    host = latin1(name);
    addressType = 'domain';
  } else {
    return fail5('addressType', SOCKS5_REPLY.addressTypeNotSupported, `SOCKS5 address type 0x${atyp.toString(16)}`);
  }
  const request: SocksRequest = { version: 5, command: 'connect', host, port: portAt(b, end), addressType };
  return { kind: 'request', request, consumed: end + 2 };
}

/** Index of the NUL ending a string that starts at `from`, 'need-more', or 'too-long'. */
function nulEnd(b: Uint8Array, from: number): number | 'need-more' | 'too-long' {
  const limit = Math.min(b.length, from + MAX_SOCKS_NAME_BYTES + 1);
  for (let i = from; i < limit; i++) if (b[i] === 0) return i;
  return b.length >= from + MAX_SOCKS_NAME_BYTES + 1 ? 'too-long' : 'need-more';
}

/** VN CD DSTPORT DSTIP USERID NUL [DOMAIN NUL when DSTIP is 0.0.0.x, x != 0 (SOCKS4a)] */
function parseRequest4(b: Uint8Array): Step {
  if (b.length >= 2 && b[1] !== 0x01) {
    const name = b[1] === 0x02 ? 'BIND' : `command 0x${(b[1] as number).toString(16)}`;
    return fail4('command', `SOCKS4 ${name} is not supported (CONNECT only)`);
  }
  if (b.length < 9) return NEED_MORE;
  const userEnd = nulEnd(b, 8);
  if (userEnd === 'too-long') return fail4('userId', `SOCKS4 USERID longer than ${MAX_SOCKS_NAME_BYTES} bytes`);
  if (userEnd === 'need-more') return NEED_MORE;
  const userId = latin1(b.subarray(8, userEnd));
  const port = portAt(b, 2);
  const ip = b.subarray(4, 8);
  const is4a = ip[0] === 0 && ip[1] === 0 && ip[2] === 0 && ip[3] !== 0;
  if (!is4a) {
    const host = formatIp({ family: 4, bytes: ip });
    const request: SocksRequest = { version: 4, command: 'connect', host, port, addressType: 'ipv4', userId };
    return { kind: 'request', request, consumed: userEnd + 1 };
  }
  const hostEnd = nulEnd(b, userEnd + 1);
  if (hostEnd === 'too-long') return fail4('host', `SOCKS4a domain name longer than ${MAX_SOCKS_NAME_BYTES} bytes`);
  if (hostEnd === 'need-more') return NEED_MORE;
  const name = b.subarray(userEnd + 1, hostEnd);
  if (name.length === 0) return fail4('host', 'SOCKS4a request with an empty domain name');
  if (!printable(name)) return fail4('host', 'SOCKS4a domain name with control, space or non-ASCII bytes');
  const request: SocksRequest = {
    version: 4,
    command: 'connect',
    host: latin1(name),
    port,
    addressType: 'domain',
    userId,
  };
  return { kind: 'request', request, consumed: hostEnd + 1 };
}

function tooLong(max: number, stage: 4 | 5 | 'request'): SocksProtocolError {
  const message = `SOCKS handshake longer than ${max} bytes`;
  if (stage === 4) return new SocksProtocolError(message, 'size', 4, SOCKS4_REJECTED, socks4Reply(false));
  if (stage === 'request') {
    const code = SOCKS5_REPLY.generalFailure;
    return new SocksProtocolError(message, 'size', 5, code, failureReply(5, code));
  }
  const reply = Uint8Array.of(0x05, SOCKS5_NO_ACCEPTABLE_METHOD);
  return new SocksProtocolError(message, 'size', 5, SOCKS5_NO_ACCEPTABLE_METHOD, reply);
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** An incremental handshake parser for one connection. */
export function createSocksParser(options: SocksParserOptions = {}): SocksParser {
  const max = options.maxHandshakeBytes ?? DEFAULT_MAX_HANDSHAKE_BYTES;
  let buffer: Uint8Array = new Uint8Array(0);
  let taken = 0; // bytes of the handshake already consumed (the SOCKS5 greeting)
  let greeted = false; // SOCKS5 greeting consumed, method selection owed or sent
  let owed: Uint8Array | undefined; // method selection not yet handed out
  let done: SocksParseResult | undefined;

  const finish = (result: SocksParseResult): SocksParseResult => {
    done = result;
    return result;
  };
  const takeOwed = (): Uint8Array | undefined => {
    const out = owed;
    owed = undefined;
    return out;
  };
  const needMore = (): SocksParseResult => {
    const reply = takeOwed();
    return reply ? { kind: 'need-more', reply } : { kind: 'need-more' };
  };
  const failWith = (error: SocksProtocolError): SocksParseResult => {
    // The client still has to see the method selection it was owed before the failure reply.
    const pre = takeOwed();
    if (pre && error.reply.length > 0) {
      error = new SocksProtocolError(error.message, error.field, error.version, error.code, concat(pre, error.reply));
    }
    return finish({ kind: 'error', error });
  };

  return {
    push(chunk) {
      if (done?.kind === 'error') return done;
      if (done) throw new Error('SOCKS handshake already complete; pass later bytes to the stream');
      buffer = concat(buffer, chunk);
      for (;;) {
        if (buffer.length === 0) return needMore();
        const version = greeted ? 5 : buffer[0];
        let step: Step;
        if (version === 5) step = greeted ? parseRequest5(buffer) : parseGreeting(buffer);
        else if (version === 4) step = parseRequest4(buffer);
        else step = notSocks(version as number);
        if (step.kind === 'error') return failWith(step.error);
        if (step.kind === 'greeting') {
          greeted = true;
          owed = METHOD_SELECTED;
          taken += step.consumed;
          buffer = buffer.subarray(step.consumed);
          continue;
        }
        if (step.kind === 'request') {
          const reply = takeOwed();
          const rest = buffer.slice(step.consumed);
          return finish(
            reply
              ? { kind: 'request', request: step.request, reply, rest }
              : { kind: 'request', request: step.request, rest },
          );
        }
        if (taken + buffer.length >= max) return failWith(tooLong(max, greeted ? 'request' : version === 4 ? 4 : 5));
        return needMore();
      }
    },
  };
}
