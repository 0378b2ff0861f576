/**
 * NAT traversal with real processes, real coturn and simulated NATs (test/netns/nat-topology.ts; root only): two
 * Node peers behind separate masquerading routers run functions that need each other's results. With
 * `handout signal --turn-url --turn-secret` they relay through coturn with nothing else configured.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { ACROSS_HOMES_DAG, type NatMesh, startNatMesh } from './nat-mesh.js';

let mesh: NatMesh | undefined;
const sleepUntil = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms - Date.now())));
afterEach(async () => {
  await mesh?.close();
  mesh = undefined;
});

describe('two peers behind separate NATs', () => {
  test('complete a run through TURN with credentials from the signaling server, renewed while they stay connected, their link reported as relay', async () => {
    // Credentials of 10 s (the shortest allowed), renewed every 5 s while the peers stay connected. The run
    // starts after the credentials of the homes' welcomes expired, and its cross-home links open only then (the
    // homes had no reason to link before): coturn refuses an expired username, so they relay only if the
    // homes hold fresh credentials from the signaling server by then.
    mesh = await startNatMesh({ turn: true, turnTtl: '10s' });
    const firstExpiry = Math.floor(Date.now() / 1000) + 10; // the welcomes came before now
    for (const home of mesh.homes) await home.waitFor((l) => l.event === 'ice:renewed', 15_000);
    await sleepUntil((firstExpiry + 1) * 1000);
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
    // coturn accepted allocations under the REST credentials the signaling server made for each home
    // (<expiry>:<peer id>), among them renewed ones: expiring after the welcome's had expired.
    const log = mesh.turnLog.join('');
    for (const id of ['home-a', 'home-b']) {
      const accepted = [
        ...log.matchAll(new RegExp(`user <(\\d+):${id}>: incoming packet ALLOCATE processed, success`, 'g')),
      ].map((m) => Number(m[1]));
      expect(Math.max(...accepted)).toBeGreaterThan(firstExpiry);
    }
  }, 60_000);
});

describe('two peers behind separate NATs without a TURN server', () => {
  test('cannot link: the run fails naming the link and why, then work that can run where its input is runs there', async () => {
    // Short link attempts (3 × 3 s), so ICE gives up well within the test's time.
    mesh = await startNatMesh({ turn: false, homeFlags: ['--connect-timeout', '3'] });
    const pinned = await mesh.run(ACROSS_HOMES_DAG);
    expect(pinned.output.status).toBe('failed');
    expect(pinned.code).toBe(1);
    const byId = Object.fromEntries(pinned.output.functions.map((f) => [f.id, f]));
    expect(byId.big?.status).toBe('succeeded');
    expect(byId.twice?.status).toBe('failed');
    expect(byId.back?.status).toBe('skipped');
    // Not "on none of its holders": which link failed, why, and what to do.
    const error = byId.twice?.error ?? '';
    expect(error).toMatch(
      /peer 'home-b' cannot reach the holders of input 'big' \('home-a': (timeout|ice-failed)\)/,
    );
    expect(error).toMatch(/TURN server/);
    expect(pinned.stderr).toMatch(
      /holder 'home-a' is unreachable: .*link to 'home-a': ICE (timed out|failed)/,
    );
    expect(pinned.stderr).toMatch(/no relay \(no TURN server\?\)/);

    // The coordinator now knows home-b cannot reach home-a: a function free to run anywhere that needs an input
    // held on home-a is placed on home-a, and the run succeeds.
    const free = await mesh.run({
      format: 'handout-dag',
      version: 1,
      functions: [
        {
          id: 'big2',
          args: [],
          node: 'home-a',
          code: { kind: 'source', source: '(n) => Array.from({ length: n }, (_, i) => i)' },
          extraArgs: [40_000],
        },
        { id: 'count', args: ['big2'], code: { kind: 'source', source: '(xs) => xs.length' } },
      ],
    });
    if (free.output.status !== 'succeeded') throw new Error(`${free.stderr}\n${mesh.logs()}`);
    expect(free.output.results).toMatchObject({ count: 40_000 });
    expect(free.output.functions.find((f) => f.id === 'count')?.peer).toBe('home-a');
  }, 60_000);
});
