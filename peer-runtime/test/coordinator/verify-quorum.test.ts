import { describe, expect, it } from 'vitest';
import { TrustLedger } from '../../src/coordinator/trust-ledger.js';
import { Tally, VerifyPolicyError, verifyPolicy } from '../../src/coordinator/verify-quorum.js';

const tally = (...answers: [string, string][]): Tally => {
  const t = new Tally();
  for (const [peer, digest] of answers) t.add(peer, digest);
  return t;
};

describe('the quorum rule', () => {
  it('accepts two agreeing answers of two, with no losers', () => {
    expect(tally(['a', 'x'], ['b', 'x']).decide(2, 4)).toEqual({
      kind: 'accepted',
      digest: 'x',
      agreeing: ['a', 'b'],
      losers: [],
    });
  });

  it('asks for one more answer after a one-to-one disagreement, then accepts the majority and names the loser', () => {
    const t = tally(['honest', 'x'], ['liar', 'y']);
    expect(t.decide(2, 4)).toEqual({ kind: 'pending', more: 1 });
    t.add('honest2', 'x');
    expect(t.decide(2, 4)).toEqual({
      kind: 'accepted',
      digest: 'x',
      agreeing: ['honest', 'honest2'],
      losers: [{ peer: 'liar', digest: 'y' }],
    });
  });

  it('fails when the replica limit leaves no way to reach the quorum, listing every answer', () => {
    expect(tally(['a', 'x'], ['b', 'y']).decide(2, 2)).toEqual({
      kind: 'failed',
      answers: [
        { peer: 'a', digest: 'x' },
        { peer: 'b', digest: 'y' },
      ],
    });
    // Three different answers with room for one more: no digest can reach 3 of 4.
    expect(tally(['a', 'x'], ['b', 'y'], ['c', 'z']).decide(3, 4).kind).toBe('failed');
    // ...but 2 of 4 can still be reached.
    expect(tally(['a', 'x'], ['b', 'y'], ['c', 'z']).decide(2, 4)).toEqual({ kind: 'pending', more: 1 });
  });

  it('counts one answer per peer: a peer cannot outvote the others by answering twice', () => {
    const t = new Tally();
    expect(t.add('liar', 'y')).toBe(true);
    expect(t.add('liar', 'y')).toBe(false);
    t.add('honest', 'x');
    expect(t.decide(2, 4)).toEqual({ kind: 'pending', more: 1 });
  });

  it('on a tie, waits for the answer that breaks it (no side wins by arriving first)', () => {
    const t = tally(['a', 'x'], ['b', 'y'], ['c', 'x'], ['d', 'y']);
    expect(t.decide(3, 6)).toEqual({ kind: 'pending', more: 1 });
    t.add('e', 'y');
    const d = t.decide(3, 6);
    expect(d.kind === 'accepted' && d.digest).toBe('y');
  });

  it('an empty tally needs the whole quorum', () => {
    expect(new Tally().decide(2, 4)).toEqual({ kind: 'pending', more: 2 });
  });
});

describe('verify policies', () => {
  it('is off without options or with one replica, and fills defaults (a majority quorum, two tie-breakers)', () => {
    expect(verifyPolicy(undefined)).toBeUndefined();
    expect(verifyPolicy({ replicas: 1 })).toBeUndefined();
    expect(verifyPolicy({ replicas: 2 })).toEqual({
      replicas: 2,
      quorum: 2,
      maxReplicas: 4,
      spotCheckRate: 0.1,
      trustAfter: 20,
    });
    expect(verifyPolicy({ replicas: 3 })?.quorum).toBe(2);
    expect(verifyPolicy({ replicas: 16 })?.maxReplicas).toBe(16);
  });

  it('refuses out-of-range fields, naming them', () => {
    expect(() => verifyPolicy({ replicas: 17 })).toThrow(VerifyPolicyError);
    expect(() => verifyPolicy({ replicas: 2.5 })).toThrow(/verify\.replicas/);
    expect(() => verifyPolicy({ replicas: 3, quorum: 1 })).toThrow(/verify\.quorum/);
    expect(() => verifyPolicy({ replicas: 3, maxReplicas: 2 })).toThrow(/verify\.maxReplicas/);
    expect(() => verifyPolicy({ replicas: 2, spotCheckRate: 1.5 })).toThrow(/verify\.spotCheckRate/);
    expect(() => verifyPolicy({ replicas: 2, trustAfter: 0 })).toThrow(/verify\.trustAfter/);
  });
});

describe('the trust ledger', () => {
  it('quarantines after two lost quorums, once, and says why', () => {
    const ledger = new TrustLedger();
    ledger.agreed('p');
    expect(ledger.disagreed('p', 1)).toBe(false);
    expect(ledger.quarantined('p')).toBe(false);
    expect(ledger.disagreed('p', 2)).toBe(true);
    expect(ledger.quarantined('p')).toBe(true);
    expect(ledger.disagreed('p', 3)).toBe(false); // already quarantined: not announced again
    expect(ledger.record('p')).toMatchObject({ agreements: 1, disagreements: 3, quarantinedAt: 2 });
    expect(ledger.record('p').quarantineReason).toMatch(/disagreed with the quorum 2 times \(1 agreed\)/);
  });

  it('earns spot checks with a clean streak, which one disagreement resets', () => {
    const ledger = new TrustLedger({ maxDisagreements: 5 });
    for (let k = 0; k < 3; k++) ledger.agreed('p');
    expect(ledger.clean('p', 3)).toBe(true);
    expect(ledger.clean('p', 4)).toBe(false);
    ledger.disagreed('p');
    expect(ledger.clean('p', 1)).toBe(false);
    expect(ledger.clean('unknown', 1)).toBe(false);
  });

  it('survives a restart through a snapshot', () => {
    const a = new TrustLedger();
    a.disagreed('liar');
    a.disagreed('liar');
    a.agreed('honest');
    const b = new TrustLedger();
    b.restore(JSON.parse(JSON.stringify(a.snapshot())));
    expect(b.quarantined('liar')).toBe(true);
    expect(b.record('honest').agreements).toBe(1);
  });
});
