import { describe, expect, test } from 'vitest';
import { describeBlocked, Reachability } from '../../src/coordinator/reachability.js';

describe('Reachability', () => {
  test('a peer is blocked from an input only when every holder is unreachable from it', () => {
    const r = new Reachability();
    r.noteUnreachable('b', 'a', 'ice-failed');
    const input = { producer: 'big', holders: ['a'], inline: false };
    expect(r.blockedBy('b', [input])).toEqual({
      producer: 'big',
      holders: [{ peer: 'a', failure: 'ice-failed' }],
    });
    // Another holder it may reach, an inline input, or holding it itself: not blocked.
    expect(r.blockedBy('b', [{ ...input, holders: ['a', 'c'] }])).toBeUndefined();
    expect(r.blockedBy('b', [{ ...input, inline: true }])).toBeUndefined();
    expect(r.blockedBy('b', [{ ...input, holders: ['a', 'b'] }])).toBeUndefined();
    // Pairs are directed: nothing is known of a → b.
    expect(r.blockedBy('a', [{ ...input, holders: ['b'] }])).toBeUndefined();
    expect(describeBlocked('b', r.blockedBy('b', [input])!)).toBe(
      "peer 'b' cannot reach the holders of input 'big' ('a': ice-failed)",
    );
  });

  test('pairs expire, and a peer that leaves or rejoins is forgotten on both sides', () => {
    let now = 0;
    const r = new Reachability(1000, () => now);
    r.noteUnreachable('b', 'a', 'timeout');
    r.noteUnreachable('c', 'b', 'timeout');
    expect(r.unreachable('b', 'a')?.failure).toBe('timeout');
    now = 1001;
    expect(r.unreachable('b', 'a')).toBeUndefined();
    expect(r.unreachable('c', 'b')).toBeUndefined();
    r.noteUnreachable('b', 'a', 'timeout');
    r.noteUnreachable('c', 'b', 'timeout');
    r.forgetPeer('b');
    expect(r.size).toBe(0);
  });
});
