/**
 * A small internet of network namespaces for NAT traversal tests (root only; see /work/shared/NETWORK-TESTS.md):
 *
 *   home1 (10.78.1.2) ── router1 ──┐                      ┌── router2 ── home2 (10.78.2.2)
 *            10.78.1.1 / 10.77.1.2 └── public (10.77.0.1) ┘ 10.77.2.2 / 10.78.2.1
 *                                          │ 10.77.3.1
 *                                    server (10.77.3.2)
 *
 * - `public` holds the services "in the cloud": the signaling server and coturn. They listen on 10.77.0.1 (on
 *   its lo); it forwards between its links, and what it sends to any other address is dropped by router1's
 *   firewall (as the internet drops packets for private addresses).
 * - `server` is another machine with a public address (10.77.3.2), reached through `public`: where the tests
 *   run the coordinator and the submitter, as a deployment whose coordinator is not the TURN server's machine.
 *   With the coordinator on coturn's own address (10.77.0.1, on lo, which libjuice does not gather), its only
 *   candidates were the public namespace's veth addresses, and a Chromium tab's relayed checks to them got no
 *   answer (most likely the replies left from 10.77.0.1, which the tab's allocation had no permission for).
 * - Each router forwards, masquerades towards the public side with random ports (`MASQUERADE --random-fully`:
 *   a mapping per destination, which defeats hole punching as a symmetric NAT does) and lets in only replies
 *   (`conntrack ESTABLISHED,RELATED`). With `blockUdp`, it drops every forwarded UDP packet, so only TCP leaves.
 * - Each home routes by default through its router. So homes reach the public side and the server, nothing
 *   reaches a home, and the two homes cannot reach each other except through a relay in the public namespace.
 *
 * Namespace names are unique to the test run (`hn<pid><n>-...`, at most 15 characters); `close()` kills every
 * process still in them and deletes them, and is safe to call twice.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';

export interface NatTopologyOptions {
  /** Homes whose router drops forwarded UDP (1-based: `[2]` blocks home2). Default none. */
  readonly blockUdp?: readonly number[];
}

export interface NatTopology {
  /** The public namespace's name and its services' address (10.77.0.1). */
  readonly public: { readonly ns: string; readonly address: string };
  /** Another public machine (10.77.3.2), reached through `public`: for the coordinator and the submitter. */
  readonly server: { readonly ns: string; readonly address: string };
  /** The home namespaces, home1 first, with their private addresses. */
  readonly homes: readonly { readonly ns: string; readonly address: string }[];
  /** Spawns `command` inside namespace `ns`, in its own process group (so `close` can kill all it started). */
  spawn(
    ns: string,
    command: string,
    args: readonly string[],
    options?: { env?: NodeJS.ProcessEnv; cwd?: string },
  ): ChildProcess;
  /** Kills what runs in the namespaces and deletes them. */
  close(): Promise<void>;
}

let counter = 0;

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

function inNs(ns: string, command: string, ...args: string[]): void {
  execFileSync('ip', ['netns', 'exec', ns, command, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Why this machine cannot build the topology, or undefined when it can (root, ip, iptables). */
export function natTopologyUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'building network namespaces needs root';
  for (const tool of ['ip', 'iptables']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      return `'${tool}' is not installed (apt-get install iproute2 iptables)`;
    }
  }
  return undefined;
}

export function createNatTopology(options: NatTopologyOptions = {}): NatTopology {
  const why = natTopologyUnavailable();
  if (why) throw new Error(`cannot build the NAT topology: ${why}`);
  const tag = `hn${process.pid % 100000}${counter++}`;
  const pub = `${tag}-pub`;
  const server = `${tag}-srv`;
  const homes = [1, 2].map((n) => ({ n, router: `${tag}-r${n}`, home: `${tag}-h${n}` }));
  const all = [pub, server, ...homes.flatMap((h) => [h.router, h.home])];
  const children: ChildProcess[] = [];
  let closed = false;

  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    for (const c of children) {
      if (c.exitCode === null && c.signalCode === null && c.pid !== undefined) {
        try {
          process.kill(-c.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
    await Promise.all(
      children.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) resolve();
            else c.once('exit', () => resolve());
          }),
      ),
    );
    for (const ns of all) {
      try {
        // Anything else still inside (a grandchild that left the group): kill it by pid, then delete.
        const pids = execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' })
          .split(/\s+/)
          .filter(Boolean);
        for (const pid of pids) process.kill(Number(pid), 'SIGKILL');
      } catch {
        // the namespace is not there (set-up failed part way)
      }
      try {
        ip('netns', 'delete', ns);
      } catch {
        // not there
      }
    }
  };

  try {
    for (const ns of all) {
      ip('netns', 'add', ns);
      ip('-n', ns, 'link', 'set', 'lo', 'up');
    }
    // The services' address sits on lo (no dummy interface module on every kernel): packets for it arrive
    // through either veth and are accepted there.
    ip('-n', pub, 'addr', 'add', '10.77.0.1/32', 'dev', 'lo');
    // public <-> server; public forwards between the server and the routers.
    ip('-n', pub, 'link', 'add', 'p3', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', server);
    ip('-n', pub, 'addr', 'add', '10.77.3.1/24', 'dev', 'p3');
    ip('-n', pub, 'link', 'set', 'p3', 'up');
    ip('-n', server, 'addr', 'add', '10.77.3.2/24', 'dev', 'eth0');
    ip('-n', server, 'link', 'set', 'eth0', 'up');
    ip('-n', server, 'route', 'add', 'default', 'via', '10.77.3.1');
    inNs(pub, 'sh', '-c', 'echo 1 > /proc/sys/net/ipv4/ip_forward');
    for (const { n, router, home } of homes) {
      // public <-> router
      ip('-n', pub, 'link', 'add', `p${n}`, 'type', 'veth', 'peer', 'name', 'wan', 'netns', router);
      ip('-n', pub, 'addr', 'add', `10.77.${n}.1/24`, 'dev', `p${n}`);
      ip('-n', pub, 'link', 'set', `p${n}`, 'up');
      ip('-n', router, 'addr', 'add', `10.77.${n}.2/24`, 'dev', 'wan');
      ip('-n', router, 'link', 'set', 'wan', 'up');
      ip('-n', router, 'route', 'add', 'default', 'via', `10.77.${n}.1`);
      // router <-> home
      ip('-n', router, 'link', 'add', 'lan', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', home);
      ip('-n', router, 'addr', 'add', `10.78.${n}.1/24`, 'dev', 'lan');
      ip('-n', router, 'link', 'set', 'lan', 'up');
      ip('-n', home, 'addr', 'add', `10.78.${n}.2/24`, 'dev', 'eth0');
      ip('-n', home, 'link', 'set', 'eth0', 'up');
      ip('-n', home, 'route', 'add', 'default', 'via', `10.78.${n}.1`);
      // The router: forward, masquerade with random ports, let in only replies; optionally drop UDP.
      inNs(router, 'sh', '-c', 'echo 1 > /proc/sys/net/ipv4/ip_forward');
      inNs(
        router,
        'iptables',
        '-t',
        'nat',
        '-A',
        'POSTROUTING',
        '-o',
        'wan',
        '-j',
        'MASQUERADE',
        '--random-fully',
      );
      if (options.blockUdp?.includes(n)) inNs(router, 'iptables', '-A', 'FORWARD', '-p', 'udp', '-j', 'DROP');
      inNs(
        router,
        'iptables',
        '-A',
        'FORWARD',
        '-i',
        'wan',
        '-m',
        'conntrack',
        '--ctstate',
        'ESTABLISHED,RELATED',
        '-j',
        'ACCEPT',
      );
      inNs(router, 'iptables', '-A', 'FORWARD', '-i', 'wan', '-j', 'DROP');
    }
    // Like the internet, the public side drops packets for private addresses rather than refusing them: a
    // default route towards router1, whose firewall drops what is not a reply. Without it, coturn relaying to a
    // home's host candidate gets ENETUNREACH at once and closes the whole allocation ("udp send: Network is
    // unreachable", then "closed (2nd stage) reason: general"), and no relay link ever opens.
    ip('-n', pub, 'route', 'add', 'default', 'via', '10.77.1.2');
  } catch (error) {
    void close();
    const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new Error(`cannot build the NAT topology: ${(error as Error).message} ${stderr}`);
  }

  return {
    public: { ns: pub, address: '10.77.0.1' },
    server: { ns: server, address: '10.77.3.2' },
    homes: homes.map(({ n, home }) => ({ ns: home, address: `10.78.${n}.2` })),
    spawn(ns, command, args, spawnOptions = {}) {
      if (closed) throw new Error('the NAT topology is closed');
      const child = spawn('ip', ['netns', 'exec', ns, command, ...args], {
        cwd: spawnOptions.cwd,
        env: spawnOptions.env ?? process.env,
        stdio: ['ignore', 'pipe', 'pipe'],
        // Its own process group: `ip netns exec` execs the command, so the group is the command and its children.
        detached: true,
      });
      children.push(child);
      return child;
    },
    close,
  };
}
