import type { AttemptRecord, FunctionRecord } from '@handout/peer-runtime';
import type { PeerInfo } from '@handout/peer-runtime/signaling';
import { describe, expect, it } from 'vitest';
import {
  attemptFetches,
  attemptLink,
  capturedOutput,
  peerGivenLabel,
  peerReadings,
  verificationOf,
} from '../src/run-model/runtime-extras.js';
import { looksGenerated, PeerNames } from '../src/run-source/peer-names.js';

const peer = (
  peerId: string,
  extra: Record<string, unknown> = {},
  state: Record<string, unknown> = {},
): PeerInfo =>
  ({
    peerId,
    roles: ['contribute'],
    capabilities: { platform: 'browser', cores: 2, memoryMB: 0, gpu: false, tags: [], costRate: 0, speed: 1 },
    state: { running: 0, slots: 2, paused: false, ...state },
    joinedAt: 0,
    ...extra,
  }) as PeerInfo;

describe('runtime additions the dashboard reads when present', () => {
  it('takes CPU and memory from a peer state only when they are numbers in range', () => {
    expect(peerReadings(peer('p', {}, { cpu: 0.5, memoryMB: 300 }))).toEqual({ cpu: 0.5, memoryMB: 300 });
    expect(peerReadings(peer('p', {}, { cpu: 7, memoryMB: '300' }))).toEqual({});
    expect(peerReadings(peer('p'))).toEqual({});
  });

  it('cleans a given label and ignores one that is not a string', () => {
    expect(peerGivenLabel(peer('p', { label: '  alice\u0007 laptop ' }))).toBe('alice laptop');
    expect(peerGivenLabel(peer('p', { label: 42 }))).toBeUndefined();
    // Where the runtime puts it: the capabilities (`handout peer --label`).
    expect(
      peerGivenLabel({ ...peer('p'), capabilities: { ...peer('p').capabilities, label: 'lab box 3' } }),
    ).toBe('lab box 3');
  });

  it('reads captured output and verification defensively', () => {
    const record = {
      logs: ['plain', { level: 'warn', text: 'careful', at: 5 }, { text: 3 }, null],
    } as unknown as FunctionRecord;
    expect(capturedOutput(record)).toEqual([
      { level: 'log', text: 'plain' },
      { level: 'warn', text: 'careful', at: 5 },
    ]);
    expect(capturedOutput({} as FunctionRecord)).toBeUndefined();
    // The runtime's shape: one entry per attempt that printed.
    const attempts = {
      logs: [
        { attempt: 1, peer: 'p1', droppedLines: 0, lines: [{ level: 'info', text: 'first', at: 1 }] },
        { attempt: 2, peer: 'p2', droppedLines: 0, lines: [{ level: 'error', text: 'second', at: 2 }] },
      ],
    } as unknown as FunctionRecord;
    expect(capturedOutput(attempts)).toEqual([
      { level: 'info', text: 'first', at: 1 },
      { level: 'error', text: 'second', at: 2 },
    ]);
    // The runtime's shape (FunctionRecord.verification); stray entries in the peer lists are dropped.
    const agreed = { outcome: 'agreed', replicas: 2, quorum: 2, agreed: ['a', 1, 'b'], disagreed: [] };
    expect(verificationOf({ verification: agreed } as unknown as FunctionRecord)).toEqual({
      outcome: 'agreed',
      replicas: 2,
      quorum: 2,
      agreed: ['a', 'b'],
      disagreed: [],
    });
    // An outcome the runtime does not have (an older guess at the shape) is not shown.
    expect(
      verificationOf({ verification: { status: 'verified', peers: ['a'] } } as unknown as FunctionRecord),
    ).toBeUndefined();
    expect(verificationOf({} as FunctionRecord)).toBeUndefined();
  });
});

describe('peer names', () => {
  it('names peers with generated ids by platform and order, keeps readable ids, and prefers a given label', () => {
    expect(looksGenerated('3f9a2c81-d0e4-4b7a-9c1e-5a6b7c8d9e0f')).toBe(true);
    expect(looksGenerated('node-1')).toBe(false);
    const names = new PeerNames();
    expect(names.nameOf(peer('3f9a2c81-d0e4-4b7a-9c1e-5a6b7c8d9e0f'))).toBe('browser peer 1');
    expect(names.nameOf(peer('0123456789abcdef0123'))).toBe('browser peer 2');
    expect(names.nameOf(peer('3f9a2c81-d0e4-4b7a-9c1e-5a6b7c8d9e0f'))).toBe('browser peer 1');
    expect(names.nameOf(peer('node-1'))).toBe('node-1');
    expect(names.nameOf(peer('0123456789abcdef0123', { label: 'kitchen' }))).toBe('kitchen');
    expect(names.laneName('3f9a2c81-d0e4-4b7a-9c1e-5a6b7c8d9e0f')).toBe('browser peer 1');
  });
});

describe("an attempt's links", () => {
  const attempt = (extra: Record<string, unknown>): AttemptRecord =>
    ({ attempt: 1, peer: 'p2', startedAt: 0, ...extra }) as unknown as AttemptRecord;

  it('reads the link texts the runtime sends (host/udp, relay/udp via tcp), not only bare types', () => {
    expect(attemptLink(attempt({ link: 'host/udp' }))).toBe('host/udp');
    expect(attemptLink(attempt({ link: 'relay/udp via tcp' }))).toBe('relay/udp via tcp');
    expect(attemptLink(attempt({ link: 'relay' }))).toBe('relay');
    expect(attemptLink(attempt({ link: 'unknown' }))).toBeUndefined();
    expect(attemptLink(attempt({ link: '<img src=x>' }))).toBeUndefined();
  });

  it('lists the holders an attempt fetched from, dropping entries that are not one', () => {
    const fetchedFrom = [
      { peer: 'p1', link: 'prflx/udp' },
      { peer: 'p3', link: 'unknown' },
      { peer: 7 },
      null,
    ];
    expect(attemptFetches(attempt({ fetchedFrom }))).toEqual([
      { peer: 'p1', link: 'prflx/udp' },
      { peer: 'p3', link: undefined },
    ]);
    expect(attemptFetches(attempt({}))).toEqual([]);
  });
});
