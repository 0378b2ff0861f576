/**
 * What a peer says when no holder gave it an input (agent/execute.ts): each holder named with why, and for an
 * unreachable one the link's own error (ICE failed or timed out, the candidates gathered), so the submitter reads
 * "holder 'a' is unreachable: link to 'a': ICE timed out ... no relay" and not "input is on none of its holders".
 */
import { describe, expect, test } from 'vitest';
import { describeFetchFailures, unreachableHolders } from '../../src/agent/execute.js';
import { PeerError } from '../../src/errors.js';
import { LinkSetupError } from '../../src/transport/frame-link.js';

const iceTimeout = new LinkSetupError(
  'a',
  'timeout',
  "link to 'a': ICE timed out (no link within 15000 ms; ICE state checking; local candidates host, no relay (no TURN server?))",
);

describe('fetch failures', () => {
  test('name every holder and why, with the link error of an unreachable one', () => {
    const text = describeFetchFailures([
      // The transport wraps what its dialer threw: the link error is found down the cause chain.
      { peer: 'a', kind: 'unreachable', error: new PeerError('a', 'cannot connect', { cause: iceTimeout }) },
      { peer: 'c', kind: 'missing' },
      { peer: 'd', kind: 'timeout' },
    ]);
    expect(text).toBe(
      `holder 'a' is unreachable: cannot connect (${iceTimeout.message}); holder 'c' no longer has it; holder 'd' did not answer in time`,
    );
    expect(describeFetchFailures([{ peer: 'a', kind: 'unreachable', error: iceTimeout }])).toMatch(
      /^holder 'a' is unreachable: link to 'a': ICE timed out .*no relay \(no TURN server\?\)/,
    );
    expect(describeFetchFailures([])).toBe('it has no live holder');
  });

  test('report each unreachable holder to the coordinator with the link failure, wrapped or not', () => {
    const iceFailed = new LinkSetupError('b', 'ice-failed', "link to 'b': ICE failed");
    expect(
      unreachableHolders([
        {
          peer: 'a',
          kind: 'unreachable',
          error: new PeerError('a', 'cannot connect', { cause: iceTimeout }),
        },
        { peer: 'b', kind: 'unreachable', error: iceFailed },
        { peer: 'c', kind: 'unreachable' },
        { peer: 'd', kind: 'missing' },
      ]),
    ).toEqual([
      { peer: 'a', failure: 'timeout' },
      { peer: 'b', failure: 'ice-failed' },
      // No link error to read (e.g. the peer left): still named, as unreachable.
      { peer: 'c', failure: 'unreachable' },
    ]);
  });
});
