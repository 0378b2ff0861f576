import {
  LIMITS,
  SIGNALING_PROTOCOL_VERSION,
  validateHandshake,
  validateMeshSnapshot,
  validatePeerLeft,
  validatePeerUpdate,
  validateSignalData,
  validateSignalTo,
} from '@handout/peer-runtime/signaling';
import { describe, expect, it } from 'vitest';
import { caps } from './helpers.js';

describe('signaling contract validators', () => {
  it('a valid signal comes back as a fresh object holding only the known fields', () => {
    const input = {
      to: 'b',
      extra: 'dropped',
      data: {
        type: 'candidate',
        candidate: { candidate: 'c', sdpMLineIndex: null, sdpMid: '0', x: 1 },
        y: 2,
      },
    };
    const result = validateSignalTo(input);
    expect(result).toEqual({
      ok: true,
      value: {
        to: 'b',
        data: { type: 'candidate', candidate: { candidate: 'c', sdpMLineIndex: null, sdpMid: '0' } },
      },
    });
  });

  it('simple-peer signal shapes all pass: offer, answer, candidate, renegotiate, transceiverRequest', () => {
    for (const data of [
      { type: 'offer', sdp: 'v=0' },
      { type: 'answer', sdp: 'v=0' },
      { type: 'candidate', candidate: { candidate: '', sdpMLineIndex: 0, sdpMid: '0' } },
      { type: 'renegotiate', renegotiate: true },
      { type: 'transceiverRequest', transceiverRequest: { kind: 'video', init: { direction: 'sendrecv' } } },
    ]) {
      expect(validateSignalData(data).ok).toBe(true);
    }
  });

  it('an SDP of exactly the limit passes and one byte more fails on data.sdp', () => {
    expect(validateSignalData({ type: 'offer', sdp: 'x'.repeat(LIMITS.sdpBytes) }).ok).toBe(true);
    const result = validateSignalData({ type: 'offer', sdp: 'x'.repeat(LIMITS.sdpBytes + 1) });
    expect(result.ok || result.error.field).toBe('data.sdp');
  });

  it('failures are ProtocolErrors naming the field at fault', () => {
    const cases: [unknown, string][] = [
      [
        { version: SIGNALING_PROTOCOL_VERSION, token: 't', capabilities: { ...caps(), cores: 1.5 } },
        'auth.capabilities.cores',
      ],
      [
        { version: SIGNALING_PROTOCOL_VERSION, token: 't', capabilities: { ...caps(), platform: 'deno' } },
        'auth.capabilities.platform',
      ],
      [
        {
          version: SIGNALING_PROTOCOL_VERSION,
          token: 't',
          capabilities: { ...caps(), memoryMB: Number.NaN },
        },
        'auth.capabilities.memoryMB',
      ],
      [
        {
          version: SIGNALING_PROTOCOL_VERSION,
          token: 't',
          capabilities: { ...caps(), resources: { gpu: -1 } },
        },
        'auth.capabilities.resources.gpu',
      ],
      [
        { version: SIGNALING_PROTOCOL_VERSION, token: 't', capabilities: caps(), peerId: 'has space' },
        'auth.peerId',
      ],
      [
        { version: SIGNALING_PROTOCOL_VERSION, token: 't', capabilities: caps(), roles: ['admin'] },
        'auth.roles[0]',
      ],
      [
        {
          version: SIGNALING_PROTOCOL_VERSION,
          token: 't',
          capabilities: caps(),
          state: { running: 0, slots: 1 },
        },
        'auth.state.paused',
      ],
      [{ version: SIGNALING_PROTOCOL_VERSION, capabilities: caps() }, 'auth.token'],
    ];
    for (const [input, field] of cases) {
      const result = validateHandshake(input);
      expect(result.ok).toBe(false);
      if (!result.ok) {
        expect(result.error.name).toBe('ProtocolError');
        expect(result.error.field).toBe(field);
        expect(result.error.message.startsWith(field)).toBe(true);
      }
    }
  });

  it('an update must change something, and partial fields are checked like full ones', () => {
    expect(validatePeerUpdate({})).toMatchObject({ ok: false });
    expect(validatePeerUpdate({ state: { paused: true } })).toEqual({
      ok: true,
      value: { state: { paused: true } },
    });
    expect(validatePeerUpdate({ capabilities: { gpu: 'yes' } })).toMatchObject({
      ok: false,
      error: { field: 'capabilities.gpu' },
    });
  });

  it('incoming server messages are validated too', () => {
    expect(validatePeerLeft({ peerId: 'a', reason: 'vanished' })).toMatchObject({
      ok: false,
      error: { field: 'reason' },
    });
    const self = {
      peerId: 'a',
      roles: ['submit'],
      capabilities: caps(),
      state: { running: 0, slots: 1, paused: false },
      joinedAt: 1,
    };
    const snapshot = {
      version: SIGNALING_PROTOCOL_VERSION,
      mesh: 'm',
      self,
      peers: [{ ...self, peerId: 'b', roles: [] }],
      resumeKey: 'k',
      reconnectGraceMs: 1,
      tokenExp: 2e9,
    };
    expect(validateMeshSnapshot(snapshot)).toMatchObject({ ok: false, error: { field: 'peers[0].roles' } });
  });
});
