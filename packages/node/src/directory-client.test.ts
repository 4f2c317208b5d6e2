import { describe, expect, it } from 'vitest';
import { createSharedTopologyFetch, type TopologyFetch } from './directory-client.js';

describe('shared topology fetch (a node host)', () => {
  it('serves the polls of one directory and ETag within reuseMs from one request, and asks again after', async () => {
    let t = 1_000;
    const calls: string[] = [];
    const shared = createSharedTopologyFetch({
      reuseMs: 1_000,
      now: () => t,
      fetch: async (base, etag) => {
        calls.push(`${base} ${etag}`);
        return { kind: 'document', body: { n: calls.length }, etag: undefined } satisfies TopologyFetch;
      },
    });
    const a = await shared('http://d', '"h1"');
    t += 999;
    const b = await shared('http://d', '"h1"');
    expect(b).toBe(a); // the same answer, one request
    expect(calls).toHaveLength(1);
    // Another ETag or another directory is another question.
    await shared('http://d', '"h2"');
    await shared('http://other', '"h1"');
    expect(calls).toHaveLength(3);
    t += 1; // reuseMs after the first request: a fresh one
    const c = await shared('http://d', '"h1"');
    expect(c).not.toBe(a);
    expect(calls).toHaveLength(4);
  });

  it('shares a failure only with the polls that joined it', async () => {
    let t = 0;
    let fail = true;
    const shared = createSharedTopologyFetch({
      now: () => t,
      fetch: async () => {
        if (fail) throw new Error('unreachable');
        return { kind: 'not-modified' };
      },
    });
    await expect(shared('http://d', undefined)).rejects.toThrow('unreachable');
    await expect(shared('http://d', undefined)).rejects.toThrow('unreachable');
    fail = false;
    t = 1_000;
    await expect(shared('http://d', undefined)).resolves.toEqual({ kind: 'not-modified' });
  });
});
