import { describe, expect, test } from 'vitest';
import { IceServerSyntaxError, parseIceServer, parseIceServers } from '../../src/transport/ice-servers.js';
import { encodeIceCredentials } from '../../src/transport/rtc.node.js';

describe('parseIceServer', () => {
  test('reads STUN and TURN entries, credentials percent-decoded and the transport kept on the URL', () => {
    expect(parseIceServer('stun:10.0.0.1:3478')).toEqual({ urls: ['stun:10.0.0.1:3478'] });
    expect(
      parseIceServer(' turn:1700000000%3Apeer-a:ab%2Bc%2F%3D@turn.example.org:3478?transport=tcp '),
    ).toEqual({
      urls: ['turn:turn.example.org:3478?transport=tcp'],
      username: '1700000000:peer-a',
      credential: 'ab+c/=',
    });
    expect(parseIceServers(['turns:u:p@h.example:5349', 'stun:a,stun:b'])).toEqual([
      { urls: ['turns:h.example:5349'], username: 'u', credential: 'p' },
      { urls: ['stun:a'] },
      { urls: ['stun:b'] },
    ]);
  });

  test('refuses what no WebRTC stack would take, naming the entry', () => {
    for (const [text, why] of [
      ['http://turn.example.org', /is not an ICE server/],
      ['turn:turn.example.org:3478', /needs credentials/],
      ['stun:u:p@h:3478', /takes no credentials/],
      ['turn:h:3478?transport=sctp', /is not an ICE server/],
      ['turn:%zz:p@h:3478', /percent-encoding/],
    ] as const) {
      let error: unknown;
      try {
        parseIceServer(text);
      } catch (e) {
        error = e;
      }
      expect(error, text).toBeInstanceOf(IceServerSyntaxError);
      expect((error as IceServerSyntaxError).entry).toBe(text);
      expect((error as Error).message).toMatch(why);
    }
  });
});

describe('encodeIceCredentials (node-datachannel puts credentials in a URL)', () => {
  test("percent-encodes a TURN REST username's colon and a base64 password", () => {
    const out = encodeIceCredentials({
      iceServers: [
        { urls: ['turn:h:3478'], username: '1700000000:peer-a', credential: 'a+b/c=' },
        { urls: 'stun:h' },
      ],
    });
    expect(out?.iceServers).toEqual([
      { urls: ['turn:h:3478'], username: '1700000000%3Apeer-a', credential: 'a%2Bb%2Fc%3D' },
      { urls: 'stun:h' },
    ]);
  });
});
