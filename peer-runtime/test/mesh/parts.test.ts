import { describe, expect, it } from 'vitest';
import { createFairQueue } from '../../src/coordinator/fair-queue.js';
import { ResultDirectory } from '../../src/coordinator/result-directory.js';
import { validateMessage } from '../../src/protocol/messages-validate.js';

describe('fair ready queue', () => {
  it('interleaves runs so a small run is served while a big one has thousands queued', () => {
    const q = createFairQueue<{ runKey: string; n: number }>();
    for (let n = 0; n < 1000; n++) q.push({ runKey: 'big', n });
    for (let n = 0; n < 3; n++) q.push({ runKey: 'small', n });
    const first = q.take(6);
    expect(first.filter((i) => i.runKey === 'small').map((i) => i.n)).toEqual([0, 1, 2]);
    expect(q.size).toBe(997);
  });

  it('puts back unplaced items at the front of their run, in order', () => {
    const q = createFairQueue<{ runKey: string; n: number }>();
    for (let n = 0; n < 4; n++) q.push({ runKey: 'r', n });
    const taken = q.take(2);
    q.putBack(taken);
    expect(q.take(4).map((i) => i.n)).toEqual([0, 1, 2, 3]);
  });

  it('starts the next batch with the runs the last one did not serve', () => {
    const q = createFairQueue<{ runKey: string; n: number }>();
    for (const runKey of ['a', 'b', 'c']) for (let n = 0; n < 3; n++) q.push({ runKey, n });
    expect(q.take(1).map((i) => i.runKey)).toEqual(['a']);
    expect(q.take(2).map((i) => i.runKey)).toEqual(['b', 'c']);
    expect(q.remove((i) => i.runKey === 'a')).toBe(2);
    expect(q.size).toBe(4);
  });
});

describe('result directory', () => {
  it('reports the hashes a departing peer was the only holder of, keeping inline ones', () => {
    const d = new ResultDirectory();
    d.add('h1', 'p1', 10);
    d.add('h2', 'p1', 10);
    d.add('h2', 'p2', 10);
    d.add('h3', 'p1', 3, new Uint8Array([1, 2, 3]));
    expect(d.removePeer('p1')).toEqual(['h1']);
    expect(d.has('h1')).toBe(false);
    expect([...d.get('h2')!.holders]).toEqual(['p2']);
    expect(d.has('h3')).toBe(true);
  });

  it('evicts the least recently added inline bytes past its bound (re-adding refreshes)', () => {
    const d = new ResultDirectory({ maxInlineBytes: 8 });
    d.addInline('a', new Uint8Array(4));
    d.addInline('b', new Uint8Array(4));
    d.addInline('a', new Uint8Array(4));
    d.addInline('c', new Uint8Array(4));
    expect(d.has('a')).toBe(true);
    expect(d.has('b')).toBe(false);
    expect(d.has('c')).toBe(true);
  });
});

describe('mesh run events on the wire', () => {
  it('validates attempt and waiting events, naming the bad field', () => {
    const attempt = {
      type: 'run:event',
      runId: 'r',
      event: { kind: 'task:attempt', id: 'f', attempt: 2, peer: 'p1', startedAt: 1, endedAt: 2, error: 'x' },
    };
    expect(validateMessage(attempt)).toEqual(attempt);
    const waiting = {
      type: 'run:event',
      runId: 'r',
      event: { kind: 'task:waiting', id: 'f', unmet: 'gpu', message: 'waits for a gpu' },
    };
    expect(validateMessage(waiting)).toEqual(waiting);
    expect(() => validateMessage({ ...attempt, event: { ...attempt.event, startedAt: 'soon' } })).toThrow(
      /startedAt/,
    );
  });
});
