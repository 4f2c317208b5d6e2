import { describe, expect, it } from 'vitest';
import { DEFAULT_EXIT_POLICY, PRIVATE_ADDRESS_POLICY } from './default-policy.js';
import { checkResolved, ExitPolicyError, parseExitPolicy } from './exit-policy.js';

function parseError(text: string): ExitPolicyError {
  try {
    parseExitPolicy(text);
  } catch (error) {
    expect(error).toBeInstanceOf(ExitPolicyError);
    return error as ExitPolicyError;
  }
  throw new Error(`no error for ${JSON.stringify(text)}`);
}

const allowed = (policyText: string, host: string, port: number): boolean =>
  parseExitPolicy(policyText).check({ host, port }).allowed;

describe('parseExitPolicy', () => {
  it('reads rules, comments, blank lines, commas and the ExitPolicy prefix', () => {
    const policy = parseExitPolicy(
      ['# header', '', 'ExitPolicy reject 127.0.0.0/8:*  # loopback', 'accept *:80, accept *:443', 'REJECT *:*'].join(
        '\n',
      ),
    );
    expect(policy.rules.map((r) => [r.line, r.action, r.text])).toEqual([
      [3, 'reject', 'reject 127.0.0.0/8:*'],
      [4, 'accept', 'accept *:80'],
      [4, 'accept', 'accept *:443'],
      [5, 'reject', 'REJECT *:*'],
    ]);
  });

  it('parses every address form', () => {
    const policy = parseExitPolicy(
      [
        'accept *:1',
        'accept *4:2',
        'accept *6:3',
        'accept 10.1.2.3:4',
        'accept 10.0.0.0/8:5-6',
        'accept [2001:db8::1]:7',
        'accept6 [2001:db8::]/32:8',
        'accept example.com:9',
        'accept *.example.org',
        'accept6 *:10',
        'accept [::ffff:10.0.0.0]/104:11',
      ].join('\n'),
    );
    expect(policy.rules.map((r) => r.address)).toEqual([
      { kind: 'any' },
      { kind: 'any', family: 4 },
      { kind: 'any', family: 6 },
      { kind: 'prefix', family: 4, bytes: Uint8Array.of(10, 1, 2, 3), bits: 32 },
      { kind: 'prefix', family: 4, bytes: Uint8Array.of(10, 0, 0, 0), bits: 8 },
      expect.objectContaining({ kind: 'prefix', family: 6, bits: 128 }),
      expect.objectContaining({ kind: 'prefix', family: 6, bits: 32 }),
      { kind: 'host', pattern: { kind: 'exact', name: 'example.com' } },
      { kind: 'host', pattern: { kind: 'subdomains', suffix: 'example.org' } },
      { kind: 'any', family: 6 },
      // An IPv4-mapped prefix is an IPv4 rule.
      { kind: 'prefix', family: 4, bytes: Uint8Array.of(10, 0, 0, 0), bits: 8 },
    ]);
    expect(policy.rules[4]?.ports).toEqual({ from: 5, to: 6 });
    expect(policy.rules[8]?.ports).toEqual({ from: 1, to: 65535 });
  });

  it.each([
    ['allow *:80', 1, 1, 'action'],
    ['accept', 1, 7, 'address'],
    ['accept 10.0.0.0/33:*', 1, 17, 'prefix'],
    ['accept 10.0.0.256:*', 1, 8, 'address'],
    ['accept 10.0.0:*', 1, 8, 'address'],
    ['accept [2001:db8::/32:*', 1, 8, 'address'],
    ['accept 2001:db8::1', 1, 8, 'address'],
    ['accept fe80::1::2:80', 1, 8, 'address'],
    ['accept [2001:db8::]/129:*', 1, 21, 'prefix'],
    ['accept *:-1', 1, 10, 'port'],
    ['accept *:65536', 1, 10, 'port'],
    ['accept *:90-80', 1, 10, 'port'],
    ['accept *:http', 1, 10, 'port'],
    ['accept */8:*', 1, 9, 'prefix'],
    ['accept example.com/24:*', 1, 19, 'prefix'],
    ['accept ex*ample.com:*', 1, 8, 'address'],
    ['accept exa_mple..com:*', 1, 8, 'address'],
    ['accept6 10.0.0.1:*', 1, 9, 'address'],
    ['accept6 *4:*', 1, 9, 'address'],
    ['accept6 example.com:*', 1, 9, 'address'],
    ['accept 0x7f.1:*', 1, 8, 'address'],
    ['accept *:80 extra', 1, 13, 'line'],
    ['accept *:80,,accept *:443', 1, 13, 'line'],
    ['# ok\n\n  accept *:80, rejectt *:*', 3, 16, 'action'],
    ['ExitPolicy', 1, 11, 'line'],
  ])('%j fails at line %i column %i (%s)', (text, line, column, field) => {
    const error = parseError(text);
    expect({ line: error.line, column: error.column, field: error.field }).toEqual({ line, column, field });
    expect(error.message).toContain(`line ${line}`);
  });

  it("reads Nym's policy file forms: bare IPv6 with a port after the last colon, port 0", () => {
    const policy = parseExitPolicy(
      [
        'ExitPolicy reject FE80:0000:0000:0000:0202:B3FF:FE1E:8328/64:1235',
        'ExitPolicy reject fe80::1:*',
        'ExitPolicy accept *:0',
        'ExitPolicy accept6 *6:119',
      ].join('\n'),
    );
    expect(policy.rules.map((r) => [r.address, r.ports])).toEqual([
      [expect.objectContaining({ kind: 'prefix', family: 6, bits: 64 }), { from: 1235, to: 1235 }],
      [expect.objectContaining({ kind: 'prefix', family: 6, bits: 128 }), { from: 1, to: 65535 }],
      [{ kind: 'any' }, { from: 0, to: 0 }],
      [
        { kind: 'any', family: 6 },
        { from: 119, to: 119 },
      ],
    ]);
    expect(policy.check({ host: 'fe80::202:b3ff:fe1e:1', port: 1235 }).allowed).toBe(false);
    // Port 0 rules never match a connection.
    expect(policy.check({ host: '1.2.3.4', port: 80 }).allowed).toBe(false);
  });

  it("'private' stands for every private range (IPv6 ones only with accept6/reject6)", () => {
    const policy = parseExitPolicy('reject private:*\naccept *:*');
    for (const host of [
      '127.0.0.1',
      '10.1.1.1',
      '172.20.0.1',
      '192.168.1.1',
      '169.254.1.1',
      '0.0.0.0',
      '::1',
      '::',
      'fd00::1',
      'fe80::1',
      '::ffff:10.0.0.1',
    ]) {
      expect(policy.check({ host, port: 80 })).toMatchObject({
        allowed: false,
        rule: { line: 1, text: 'reject private:*' },
      });
    }
    expect(policy.check({ host: '93.184.216.34', port: 80 }).allowed).toBe(true);
    expect(policy.check({ host: '2606:4700::1', port: 80 }).allowed).toBe(true);
    const v6 = parseExitPolicy('reject6 private:*\naccept *:*');
    expect(v6.check({ host: '127.0.0.1', port: 80 }).allowed).toBe(true);
    expect(v6.check({ host: '::1', port: 80 }).allowed).toBe(false);
  });

  it('the shipped policies parse; the default denies everything', () => {
    const policy = parseExitPolicy(DEFAULT_EXIT_POLICY);
    expect(policy.check({ host: '93.184.216.34', port: 443 })).toMatchObject({ allowed: false, rule: { line: 3 } });
    expect(policy.check({ host: 'example.com', port: 80 }).allowed).toBe(false);
    expect(parseExitPolicy(PRIVATE_ADDRESS_POLICY).rules.length).toBeGreaterThan(20);
  });
});

describe('policy semantics', () => {
  it('first match wins', () => {
    expect(allowed('reject 10.0.0.1:*\naccept 10.0.0.0/8:*', '10.0.0.1', 80)).toBe(false);
    expect(allowed('reject 10.0.0.1:*\naccept 10.0.0.0/8:*', '10.0.0.2', 80)).toBe(true);
    expect(allowed('accept 10.0.0.0/8:*\nreject 10.0.0.1:*', '10.0.0.1', 80)).toBe(true);
  });

  it('default deny when nothing matches, naming no rule', () => {
    const verdict = parseExitPolicy('accept *:443').check({ host: '1.2.3.4', port: 80 });
    expect(verdict).toMatchObject({ allowed: false, reason: 'default-deny', decided: true });
    expect(verdict.rule).toBeUndefined();
    expect(parseExitPolicy('').check({ host: '1.2.3.4', port: 80 }).allowed).toBe(false);
  });

  it('prefixes at odd lengths', () => {
    const p = 'accept 172.16.0.0/12:*';
    expect(allowed(p, '172.31.255.255', 1)).toBe(true);
    expect(allowed(p, '172.32.0.0', 1)).toBe(false);
    expect(allowed(p, '172.15.255.255', 1)).toBe(false);
    expect(allowed('accept 0.0.0.0/0:*', '255.255.255.255', 1)).toBe(true);
    expect(allowed('accept 10.9.8.7/8:*', '10.1.1.1', 1)).toBe(true);
  });

  it('port ranges are inclusive', () => {
    const p = 'accept *:8000-8100';
    expect([7999, 8000, 8050, 8100, 8101].map((port) => allowed(p, '1.2.3.4', port))).toEqual([
      false,
      true,
      true,
      true,
      false,
    ]);
  });

  it('IPv6: prefixes, families and mapped addresses', () => {
    const p = 'reject [2001:db8::]/32:*\naccept *6:443\naccept 127.0.0.1:80';
    expect(allowed(p, '2001:db8:ffff::1', 443)).toBe(false);
    expect(allowed(p, '[2001:db9::1]', 443)).toBe(true);
    expect(allowed(p, '1.2.3.4', 443)).toBe(false); // *6 is IPv6 only
    expect(allowed(p, '::ffff:127.0.0.1', 80)).toBe(true); // mapped = IPv4
    expect(allowed('reject 127.0.0.0/8:*\naccept *:*', '::ffff:7f00:1', 80)).toBe(false);
    expect(allowed('reject [::ffff:127.0.0.0]/104:*\naccept *:*', '127.0.0.1', 80)).toBe(false);
    expect(allowed('accept *4:*', '::1', 80)).toBe(false);
  });

  it('host names: exact, wildcard subdomains, case and trailing dot', () => {
    const p = 'accept example.com:443\naccept *.nymtech.net:*';
    expect(allowed(p, 'EXAMPLE.com.', 443)).toBe(true);
    expect(allowed(p, 'www.example.com', 443)).toBe(false);
    expect(allowed(p, 'example.com', 80)).toBe(false);
    expect(allowed(p, 'api.nymtech.net', 1)).toBe(true);
    expect(allowed(p, 'a.b.nymtech.net', 1)).toBe(true);
    expect(allowed(p, 'nymtech.net', 1)).toBe(false);
    expect(allowed(p, 'evilnymtech.net', 1)).toBe(false);
    // Host rules never match an address, even one the name resolves to.
    expect(allowed(p, '93.184.216.34', 443)).toBe(false);
  });

  it('invalid destinations are denied with a reason, never thrown', () => {
    const policy = parseExitPolicy('accept *:*');
    for (const [host, port] of [
      ['', 80],
      ['exa mple.com', 80],
      ['127.1', 80],
      ['2130706433', 80],
      ['0x7f.1', 80],
      ['example.com', 0],
      ['example.com', 70000],
      ['example.com', 1.5],
    ] as const) {
      expect(policy.check({ host, port })).toMatchObject({ allowed: false, reason: 'invalid-destination' });
    }
  });

  it('a name before DNS: decided when no address rule can change the outcome', () => {
    expect(parseExitPolicy('accept *:*').check({ host: 'a.test', port: 1 })).toMatchObject({
      allowed: true,
      decided: true,
    });
    expect(parseExitPolicy('reject 10.0.0.0/8:*\nreject *:*').check({ host: 'a.test', port: 1 })).toMatchObject({
      allowed: false,
      decided: true,
    });
    // An earlier reject for an address range: depends on what a.test resolves to.
    expect(parseExitPolicy('reject 127.0.0.0/8:*\naccept *:*').check({ host: 'a.test', port: 1 })).toMatchObject({
      allowed: true,
      decided: false,
    });
    // Only an address rule could accept it: resolve first.
    expect(parseExitPolicy('accept 10.0.0.5:8545').check({ host: 'chain.test', port: 8545 })).toMatchObject({
      allowed: true,
      decided: false,
    });
    expect(parseExitPolicy('accept 10.0.0.5:8545').check({ host: 'chain.test', port: 80 }).allowed).toBe(false);
  });
});

describe('checkResolved', () => {
  const policy = parseExitPolicy(`${PRIVATE_ADDRESS_POLICY}accept *:80\naccept *:443\nreject *:*`);

  it('a DNS name cannot smuggle a connection to a rejected address', () => {
    expect(policy.check({ host: 'evil.test', port: 80 }).allowed).toBe(true); // undecided before DNS
    const verdict = checkResolved(policy, 'evil.test', ['93.184.216.34', '127.0.0.1'], 80);
    expect(verdict).toMatchObject({ allowed: false, address: '127.0.0.1', rule: { text: 'reject 127.0.0.0/8:*' } });
    expect(verdict.message).toContain('127.0.0.1');
    expect(checkResolved(policy, 'evil.test', ['::ffff:10.1.2.3'], 80).allowed).toBe(false);
    expect(checkResolved(policy, 'evil.test', ['::1'], 443).allowed).toBe(false);
    expect(checkResolved(policy, 'evil.test', ['0.0.0.0'], 443).allowed).toBe(false);
  });

  it('allows when every address is allowed, and names the rule', () => {
    expect(checkResolved(policy, 'example.com', ['93.184.216.34', '2606:2800:220:1::1'], 443)).toMatchObject({
      allowed: true,
      address: '93.184.216.34',
      rule: { text: 'accept *:443' },
    });
  });

  it('no addresses, or garbage from the resolver: denied', () => {
    expect(checkResolved(policy, 'example.com', [], 443)).toMatchObject({ allowed: false, reason: 'no-addresses' });
    expect(checkResolved(policy, 'example.com', ['not-an-ip'], 443).allowed).toBe(false);
  });

  it('a host rule decides by name, address rules by each address', () => {
    const p = parseExitPolicy('reject 127.0.0.0/8:*\naccept chain.test:8545\naccept 10.0.0.5:8545');
    expect(checkResolved(p, 'chain.test', ['127.0.0.1'], 8545).allowed).toBe(false);
    expect(checkResolved(p, 'chain.test', ['192.0.2.7'], 8545).allowed).toBe(true);
    expect(checkResolved(p, 'other.test', ['10.0.0.5'], 8545).allowed).toBe(true);
    expect(checkResolved(p, 'other.test', ['10.0.0.6'], 8545).allowed).toBe(false);
  });

  it('an IP literal host is checked itself', () => {
    expect(checkResolved(policy, '127.0.0.1', ['127.0.0.1'], 80).allowed).toBe(false);
    expect(checkResolved(policy, '127.0.0.1', [], 80).allowed).toBe(false);
    expect(checkResolved(policy, '93.184.216.34', [], 80).allowed).toBe(true);
  });
});
