import { describe, expect, it } from 'vitest';
import { type BelievedCapacity, CapacityClaims } from '../../src/scheduling/claims.js';

/** `n` completions of `ms` each on `peer`, `parallel` at a time, back to back from t = 0. */
function deliver(
  claims: CapacityClaims,
  peer: string,
  n: number,
  ms: number,
  parallel: number,
  estimateMs?: number,
) {
  let last: BelievedCapacity | undefined;
  for (let k = 0; k < n; k++) {
    const round = Math.floor(k / parallel);
    // Within a round the parallel functions end a little apart (they started together).
    const endedAt = (round + 1) * ms + (k % parallel);
    last = claims.completed(peer, {
      endedAt,
      reportedMs: ms,
      observedMs: ms + 2,
      ...(estimateMs !== undefined && { estimateMs }),
    });
  }
  return last;
}

describe('capabilities as claims', () => {
  it('starts a new peer with one slot whatever it claims, and clamps an unmeasured speed', () => {
    const claims = new CapacityClaims();
    expect(claims.claim('boaster', 4096, 1e9)).toEqual({ cores: 1, speed: 4 });
    expect(claims.claim('modest', 2, 0.5)).toEqual({ cores: 1, speed: 0.5 });
  });

  it('a peer claiming 64 slots that runs one function at a time never gets more than two', () => {
    const claims = new CapacityClaims();
    claims.claim('boaster', 64, 1);
    expect(deliver(claims, 'boaster', 100, 30, 1)?.cores).toBe(2);
  });

  it('an honest 8-slot peer earns its slots from the concurrency it shows, never beyond its claim', () => {
    const claims = new CapacityClaims();
    claims.claim('honest', 8, 1);
    expect(deliver(claims, 'honest', 64, 30, 8)?.cores).toBe(8);
    const small = new CapacityClaims();
    small.claim('two', 2, 1);
    expect(deliver(small, 'two', 20, 30, 2)?.cores).toBe(2);
  });

  it('replaces the advertised speed with the measured one after three samples with an estimate', () => {
    const claims = new CapacityClaims();
    claims.claim('p', 1, 1e6);
    // Estimated 100 ms at speed 1, takes 50 ms: speed 2.
    expect(deliver(claims, 'p', 2, 50, 1, 100)?.speed).toBe(4);
    const after = deliver(claims, 'p', 1, 50, 1, 100);
    expect(after?.speed).toBeCloseTo(100 / 52, 5);
    expect(claims.measuredSpeed('p')).toBeCloseTo(100 / 52, 5);
  });

  it('a peer cannot look fast by reporting short durations: the coordinator’s observed time counts', () => {
    const claims = new CapacityClaims();
    claims.claim('liar', 1, 1e6);
    for (let k = 0; k < 3; k++)
      claims.completed('liar', { endedAt: (k + 1) * 200, reportedMs: 0, observedMs: 200, estimateMs: 100 });
    expect(claims.measuredSpeed('liar')).toBeCloseTo(0.5, 5);
  });

  it('functions without an estimate, or tiny ones, give no speed sample; a peer that left starts over', () => {
    const claims = new CapacityClaims();
    claims.claim('p', 4, 9);
    deliver(claims, 'p', 10, 30, 4);
    // 0.05 ms estimated, ~1 ms of overhead each: no sample (it would make the peer look 20 times slower).
    deliver(claims, 'p', 10, 1, 4, 0.05);
    expect(claims.measuredSpeed('p')).toBeUndefined();
    expect(claims.claim('p', 4, 9)).toEqual({ cores: 4, speed: 4 });
    claims.forget('p');
    expect(claims.claim('p', 4, 9)).toEqual({ cores: 1, speed: 4 });
  });
});
