import { describe, expect, test } from 'vitest';
import { describeLinkPath, linkPathFromStats, parseCandidateLine } from '../../src/transport/link-path.js';

/** A stats report as getStats() resolves it: a Map of entries by id. */
const report = (...entries: Record<string, unknown>[]) =>
  new Map(entries.map((e) => [String(e.id), e])) as unknown as Parameters<typeof linkPathFromStats>[0];

describe('linkPathFromStats', () => {
  test("reads a browser's selected pair through the transport entry, relay protocol included", () => {
    const path = linkPathFromStats(
      report(
        { id: 'T', type: 'transport', selectedCandidatePairId: 'P2' },
        // A pair that is not the selected one must not be read.
        { id: 'P1', type: 'candidate-pair', localCandidateId: 'L1', remoteCandidateId: 'R1' },
        { id: 'P2', type: 'candidate-pair', localCandidateId: 'L2', remoteCandidateId: 'R2' },
        { id: 'L1', type: 'local-candidate', candidateType: 'host', protocol: 'udp' },
        { id: 'R1', type: 'remote-candidate', candidateType: 'host', protocol: 'udp' },
        { id: 'L2', type: 'local-candidate', candidateType: 'relay', protocol: 'udp', relayProtocol: 'tcp' },
        { id: 'R2', type: 'remote-candidate', candidateType: 'srflx', protocol: 'udp' },
      ),
    );
    expect(path).toEqual({
      type: 'relay',
      local: 'relay',
      remote: 'srflx',
      protocol: 'udp',
      relayProtocol: 'tcp',
    });
    expect(describeLinkPath(path!)).toBe('relay/udp via tcp');
  });

  test("reads node-datachannel's single pair, whose candidates carry only candidateType", () => {
    const path = linkPathFromStats(
      report(
        { id: 'P', type: 'candidate-pair', localCandidateId: 'L', remoteCandidateId: 'R', nominated: true },
        { id: 'L', type: 'local-candidate', candidateType: 'host' },
        { id: 'R', type: 'remote-candidate', candidateType: 'prflx' },
      ),
    );
    expect(path).toEqual({ type: 'prflx', local: 'host', remote: 'prflx', protocol: 'udp' });
    expect(describeLinkPath(path!)).toBe('prflx/udp');
  });

  test('a peer-reflexive remote that the remote signalled as host (its check beat its signal) reads host', () => {
    const stats = report(
      { id: 'P', type: 'candidate-pair', localCandidateId: 'L', remoteCandidateId: 'R' },
      { id: 'L', type: 'local-candidate', candidateType: 'host' },
      { id: 'R', type: 'remote-candidate', candidateType: 'prflx', ip: '10.0.0.2', port: 5000 },
    );
    const signaled = parseCandidateLine('candidate:1 1 UDP 2122317823 10.0.0.2 5000 typ host');
    expect(signaled).toEqual({ key: '10.0.0.2 5000', type: 'host' });
    const known = new Map([[signaled!.key, signaled!.type]]);
    expect(linkPathFromStats(stats, (a, p) => known.get(`${a} ${p}`))?.type).toBe('host');
    // Behind a NAT the address is the NAT's, which nobody signalled: it stays peer reflexive.
    expect(linkPathFromStats(stats, () => undefined)?.type).toBe('prflx');
  });

  test('falls back to the typ of the SDP candidate line and says tcp when a candidate is tcp', () => {
    const path = linkPathFromStats(
      report(
        { id: 'P', type: 'candidate-pair', selected: true, localCandidateId: 'L', remoteCandidateId: 'R' },
        {
          id: 'L',
          type: 'local-candidate',
          candidate: 'candidate:1 1 TCP 1 10.0.0.1 9 typ host',
          protocol: 'tcp',
        },
        { id: 'R', type: 'remote-candidate', candidate: 'candidate:2 1 TCP 1 10.0.0.2 9 typ host' },
      ),
    );
    expect(path).toEqual({ type: 'host', local: 'host', remote: 'host', protocol: 'tcp' });
  });

  test('is undefined when no pair is selected yet or a candidate type is unknown', () => {
    expect(linkPathFromStats(report())).toBeUndefined();
    expect(
      linkPathFromStats(
        report(
          { id: 'a', type: 'candidate-pair', localCandidateId: 'L', remoteCandidateId: 'R' },
          { id: 'b', type: 'candidate-pair', localCandidateId: 'L', remoteCandidateId: 'R' },
          { id: 'L', type: 'local-candidate', candidateType: 'host' },
          { id: 'R', type: 'remote-candidate', candidateType: 'host' },
        ),
      ),
    ).toBeUndefined();
    expect(
      linkPathFromStats(
        report(
          { id: 'P', type: 'candidate-pair', localCandidateId: 'L', remoteCandidateId: 'R' },
          { id: 'L', type: 'local-candidate', candidateType: 'weird' },
          { id: 'R', type: 'remote-candidate', candidateType: 'host' },
        ),
      ),
    ).toBeUndefined();
  });
});
