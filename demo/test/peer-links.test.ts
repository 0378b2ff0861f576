import type { PeerInfo } from '@handout/peer-runtime/signaling';
import { describe, expect, it } from 'vitest';
import { createMeshRunSource } from '../src/run-source/mesh.js';

const info = (peerId: string): PeerInfo =>
  ({
    peerId,
    roles: ['contribute'],
    capabilities: { platform: 'node', cores: 2, memoryMB: 0, gpu: false, tags: [], costRate: 0, speed: 1 },
    state: { running: 0, slots: 2, paused: false },
    joinedAt: 0,
  }) as PeerInfo;

describe("the dashboard's peers", () => {
  it("show how this tab's link to each peer connected, and nothing for a peer with no open link", async () => {
    const source = createMeshRunSource(
      {
        submit: () => {
          throw new Error('not used');
        },
        peers: () => [info('far'), info('near'), info('none')],
        linkTo: (id) =>
          id === 'far'
            ? { type: 'relay', local: 'relay', remote: 'host', protocol: 'udp' }
            : id === 'near'
              ? { type: 'host', local: 'host', remote: 'host', protocol: 'udp' }
              : undefined,
        close: async () => {},
      },
      { signal: 'http://x' },
    );
    const links = Object.fromEntries(source.peers().map((p) => [p.id, p.link]));
    expect(links).toEqual({ far: 'relay/udp', near: 'host/udp', none: undefined });
    await source.close();
  });
});
