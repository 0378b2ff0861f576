/**
 * NAT traversal with real processes, real coturn and simulated NATs (test/netns/nat-topology.ts; root only): two
 * Node peers behind separate masquerading routers run functions that need each other's results. With
 * `handout signal --turn-url --turn-secret` they relay through coturn with nothing else configured.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { ACROSS_HOMES_DAG, type NatMesh, startNatMesh } from './nat-mesh.js';

let mesh: NatMesh | undefined;
afterEach(async () => {
  await mesh?.close();
  mesh = undefined;
});

describe('two peers behind separate NATs', () => {
  test('complete a run through TURN with credentials from the signaling server, their link reported as relay', async () => {
    mesh = await startNatMesh({ turn: true });
    const { code, output, stderr } = await mesh.run(ACROSS_HOMES_DAG);
    if (output.status !== 'succeeded') throw new Error(`run ${output.status}: ${stderr}\n${mesh.logs()}`);
    expect(code).toBe(0);
    expect(output.results).toMatchObject({ back: 50_000 + 99_998 });
    expect(Object.fromEntries(output.functions.map((f) => [f.id, f.peer]))).toEqual({
      big: 'home-a',
      twice: 'home-b',
      back: 'home-a',
    });
    // The run's records say how each home fetched its input from the other: through the relay. The coordinator
    // in the public namespace reached both directly (through their NATs, no relay).
    expect(output.peers?.['home-b']?.links?.['home-a']).toBe('relay/udp');
    expect(output.peers?.['home-a']?.links?.['home-b']).toBe('relay/udp');
    // The link between the homes went through the relay; each home's log says so too.
    const [a, b] = mesh.homes;
    const aToB = await a!.waitFor((l) => l.event === 'link:open' && l.peerId === 'home-b', 5_000);
    expect(aToB.path).toMatchObject({ type: 'relay', protocol: 'udp' });
    const bToA = await b!.waitFor((l) => l.event === 'link:open' && l.peerId === 'home-a', 5_000);
    expect(bToA.path).toMatchObject({ type: 'relay' });
    // coturn accepted allocations under the REST credentials the welcome made for each home (<expiry>:<peer id>).
    const log = mesh.turnLog.join('');
    for (const id of ['home-a', 'home-b'])
      expect(log).toMatch(new RegExp(`user <\\d+:${id}>: incoming packet ALLOCATE processed, success`));
  }, 60_000);
});
