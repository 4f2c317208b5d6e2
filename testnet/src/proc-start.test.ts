/** Issue 14 (#18): a process is named by its start time and boot id, parsed from /proc. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProcStatError, parseStartTicks, processStart, sameProcess } from './proc-start.js';

/** A /proc/<pid>/stat line: pid, (comm), then fields 3.. (state is field 3, starttime field 22). */
const statLine = (pid: number, comm: string, rest: string[]) => `${pid} (${comm}) ${rest.join(' ')}\n`;

describe('parseStartTicks', () => {
  it('returns field 22 whatever the command name holds (spaces, parentheses)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4_194_304 }),
        fc.string({ maxLength: 16 }).filter((s) => !s.includes('\n')),
        fc.array(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), { minLength: 50, maxLength: 50 }),
        (pid, comm, numbers) => {
          const rest = ['S', ...numbers.slice(1).map(String)];
          expect(parseStartTicks(statLine(pid, comm, rest))).toBe(rest[19]);
        },
      ),
    );
  });

  it('names the field when the line is cut short or malformed', () => {
    expect(() => parseStartTicks('123 sleep S 1 2')).toThrow(ProcStatError);
    expect(() => parseStartTicks(statLine(1, 'sleep', ['S', '1', '2']))).toThrow(/field 22 \(starttime\) is missing/);
    const bad = ['S', ...Array.from({ length: 18 }, () => '0'), 'x', '0'];
    expect(() => parseStartTicks(statLine(1, 'sleep', bad))).toThrow(/field 22 \(starttime\) is "x"/);
  });
});

describe.runIf(process.platform === 'linux')('processStart (Linux /proc)', () => {
  it('is stable for a live process and tells a different start or boot apart', () => {
    const me = processStart(process.pid);
    expect(me).toBeDefined();
    const start = me as NonNullable<typeof me>;
    expect(processStart(process.pid)).toEqual(start);
    expect(sameProcess(process.pid, start)).toBe(true);
    expect(sameProcess(process.pid, { ...start, startTicks: String(BigInt(start.startTicks) + 1n) })).toBe(false);
    expect(sameProcess(process.pid, { ...start, bootId: 'another-boot' })).toBe(false);
  });
});
