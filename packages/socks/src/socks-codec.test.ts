import { describe, expect, it } from 'vitest';
import { encodeSocks4Connect, encodeSocks5Connect, encodeSocks5Greeting } from './socks-client.js';
import { createSocksParser, type SocksParseResult, SocksProtocolError } from './socks-codec.js';
import { SOCKS5_REPLY } from './socks-reply.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));
const toHex = (b: Uint8Array | undefined): string => Buffer.from(b ?? []).toString('hex');

/** Feeds the chunks one by one; returns every result and the method-selection bytes handed out. */
function feed(chunks: Uint8Array[]): { last: SocksParseResult; replies: string } {
  const parser = createSocksParser();
  let last: SocksParseResult = { kind: 'need-more' };
  let replies = '';
  for (const chunk of chunks) {
    last = parser.push(chunk);
    if (last.kind !== 'error') replies += toHex(last.reply);
    if (last.kind !== 'need-more') break;
  }
  return { last, replies };
}

function expectRequest(result: SocksParseResult) {
  if (result.kind !== 'request') throw new Error(`expected a request, got ${JSON.stringify(result)}`);
  return result;
}

function expectError(result: SocksParseResult): SocksProtocolError {
  if (result.kind !== 'error') throw new Error(`expected an error, got ${result.kind}`);
  expect(result.error).toBeInstanceOf(SocksProtocolError);
  return result.error;
}

// Captured from curl 7.88.1 against a listener that answers 05 00 to the greeting.
const CURL = {
  socks5Hostname: ['05020001', '050100030c6578616d706c652e746573741f90'], // example.test:8080
  socks5Ipv4: ['05020001', '050100017f0000011f90'], // 127.0.0.1:8080
  socks5Ipv6: ['05020001', '050100040000000000000000000000000000000101bb'], // [::1]:443
  socks5HostnameIpv6: ['05020001', '0501000420010db80000000000000000000000012161'], // [2001:db8::1]:8545
  socks4a: '04011f9000000001006578616d706c652e7465737400', // example.test:8080
  socks4aIpLiteral: '04010050000000010031302e312e322e3300', // curl --socks4a sends IPs as names too
  socks4: '04011f907f00000100', // 127.0.0.1:8080
};

describe('SOCKS5 handshakes as curl sends them', () => {
  it('--socks5-hostname: greeting answered with 05 00, then a domain CONNECT', () => {
    const parser = createSocksParser();
    const greeting = parser.push(hex(CURL.socks5Hostname[0] as string));
    expect(greeting).toEqual({ kind: 'need-more', reply: hex('0500') });
    const { request, reply, rest } = expectRequest(parser.push(hex(CURL.socks5Hostname[1] as string)));
    expect(request).toEqual({
      version: 5,
      command: 'connect',
      host: 'example.test',
      port: 8080,
      addressType: 'domain',
    });
    expect(reply).toBeUndefined();
    expect(rest.length).toBe(0);
  });

  it('--socks5 with IPv4 and IPv6 literals', () => {
    expect(expectRequest(feed(CURL.socks5Ipv4.map(hex)).last).request).toMatchObject({
      host: '127.0.0.1',
      port: 8080,
      addressType: 'ipv4',
    });
    expect(expectRequest(feed(CURL.socks5Ipv6.map(hex)).last).request).toMatchObject({
      host: '::1',
      port: 443,
      addressType: 'ipv6',
    });
    expect(expectRequest(feed(CURL.socks5HostnameIpv6.map(hex)).last).request).toMatchObject({
      host: '2001:db8::1',
      port: 8545,
    });
  });

  it('greeting and request in one chunk, with early data: the method selection still comes first', () => {
    const bytes = hex(`${CURL.socks5Hostname.join('')}474554`);
    const result = expectRequest(createSocksParser().push(bytes));
    expect(toHex(result.reply)).toBe('0500');
    expect(Buffer.from(result.rest).toString()).toBe('GET');
  });

  it('byte-at-a-time gives the same request and a single method selection', () => {
    const bytes = hex(CURL.socks5Hostname.join(''));
    const { last, replies } = feed([...bytes].map((b) => Uint8Array.of(b)));
    expect(expectRequest(last).request.host).toBe('example.test');
    expect(replies).toBe('0500');
  });
});

describe('SOCKS4 and SOCKS4a as curl sends them', () => {
  it('--socks4a: DSTIP 0.0.0.1 and the name after the USERID', () => {
    const { request, reply } = expectRequest(createSocksParser().push(hex(CURL.socks4a)));
    expect(request).toEqual({
      version: 4,
      command: 'connect',
      host: 'example.test',
      port: 8080,
      addressType: 'domain',
      userId: '',
    });
    expect(reply).toBeUndefined();
    expect(expectRequest(createSocksParser().push(hex(CURL.socks4aIpLiteral))).request.host).toBe('10.1.2.3');
  });

  it('--socks4: an IPv4 CONNECT', () => {
    expect(expectRequest(createSocksParser().push(hex(CURL.socks4))).request).toEqual({
      version: 4,
      command: 'connect',
      host: '127.0.0.1',
      port: 8080,
      addressType: 'ipv4',
      userId: '',
    });
  });

  it('keeps the USERID and waits for both NULs', () => {
    const bytes = encodeSocks4Connect('example.org', 443, 'alice');
    const parser = createSocksParser();
    expect(parser.push(bytes.subarray(0, bytes.length - 1)).kind).toBe('need-more');
    expect(expectRequest(parser.push(bytes.subarray(bytes.length - 1))).request).toMatchObject({
      host: 'example.org',
      userId: 'alice',
    });
  });
});

describe('refused handshakes carry the exact reply bytes', () => {
  const failure = (code: number): string => `05${code.toString(16).padStart(2, '0')}0001000000000000`;

  it('no "no authentication" method: 05 ff', () => {
    const error = expectError(createSocksParser().push(hex('050102')));
    expect(toHex(error.reply)).toBe('05ff');
    expect(error.field).toBe('methods');
  });

  it('BIND and UDP ASSOCIATE: command not supported (07), after the owed method selection', () => {
    for (const cmd of ['02', '03', '09']) {
      const error = expectError(createSocksParser().push(hex(`05010005${cmd}0001010203040050`)));
      expect(toHex(error.reply)).toBe(`0500${failure(SOCKS5_REPLY.commandNotSupported)}`);
      expect(error.code).toBe(0x07);
    }
  });

  it('unknown address type: 08', () => {
    const parser = createSocksParser();
    parser.push(hex('050100'));
    const error = expectError(parser.push(hex('0501000501020304')));
    expect(toHex(error.reply)).toBe(failure(SOCKS5_REPLY.addressTypeNotSupported));
    expect(error.field).toBe('addressType');
  });

  it('empty or binary domain names, a non-zero reserved byte, a wrong request version: 01', () => {
    for (const req of ['050100030000', '0501000302410a0050', '0501010101020304' + '0050', '0401000101020304']) {
      const parser = createSocksParser();
      parser.push(hex('050100'));
      const error = expectError(parser.push(hex(req)));
      expect(toHex(error.reply)).toBe(failure(SOCKS5_REPLY.generalFailure));
    }
  });

  it('SOCKS4 BIND, over-long USERID and over-long SOCKS4a names: 00 5b', () => {
    const rejected = '005b000000000000';
    expect(toHex(expectError(createSocksParser().push(hex('0402'))).reply)).toBe(rejected);
    const longUser = Uint8Array.of(4, 1, 0, 80, 1, 2, 3, 4, ...new Uint8Array(256).fill(0x61));
    expect(expectError(createSocksParser().push(longUser)).field).toBe('userId');
    const longName = Uint8Array.of(4, 1, 0, 80, 0, 0, 0, 1, 0, ...new Uint8Array(256).fill(0x61));
    const error = expectError(createSocksParser().push(longName));
    expect(error.field).toBe('host');
    expect(toHex(error.reply)).toBe(rejected);
  });

  it('an HTTP request to the SOCKS port: no reply, a message that says so', () => {
    const error = expectError(createSocksParser().push(Buffer.from('CONNECT example.org:443 HTTP/1.1\r\n')));
    expect(error.reply.length).toBe(0);
    expect(error.message).toMatch(/HTTP proxy/);
  });

  it('a handshake that never ends is cut at the cap', () => {
    const parser = createSocksParser({ maxHandshakeBytes: 64 });
    let result = parser.push(Uint8Array.of(4, 1, 0, 80, 1, 2, 3, 4));
    for (let i = 0; i < 10 && result.kind === 'need-more'; i++) result = parser.push(new Uint8Array(10).fill(0x61));
    expect(expectError(result).field).toBe('size');
  });

  it('after an error the parser keeps answering with the same error', () => {
    const parser = createSocksParser();
    const first = parser.push(hex('07'));
    expect(parser.push(hex('05'))).toBe(first);
  });
});

describe('client encoders', () => {
  it('encode what curl sends', () => {
    expect(toHex(encodeSocks5Greeting([0, 1]))).toBe(CURL.socks5Hostname[0]);
    expect(toHex(encodeSocks5Connect('example.test', 8080))).toBe(CURL.socks5Hostname[1]);
    expect(toHex(encodeSocks5Connect('127.0.0.1', 8080))).toBe(CURL.socks5Ipv4[1]);
    expect(toHex(encodeSocks5Connect('::1', 443))).toBe(CURL.socks5Ipv6[1]);
    expect(toHex(encodeSocks4Connect('example.test', 8080))).toBe(CURL.socks4a);
    expect(toHex(encodeSocks4Connect('127.0.0.1', 8080))).toBe(CURL.socks4);
  });
});
