/**
 * A mesh deployed as it would be across the internet, on the NAT topology of test/netns/nat-topology.ts: in the
 * public namespace coturn (started here, no config file, `use-auth-secret`) and `handout signal` handing out TURN
 * credentials (when `turn` is set); on the server namespace (another public address) a coordinator
 * `handout peer --coordinator` and the submitters (`handout run`); in each home namespace, behind its own
 * masquerading router, a `handout peer` whose id is `home-a` / `home-b` (or a Chromium tab the test brings, see
 * `externalHomes`). Everything is a real process, started in its own process group and killed (with the
 * namespaces) by `close()`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Role, signToken } from '../../peer-runtime/src/signaling/index.js';
import { CLI, type PeerProcess, ROOT, wrapProcess } from '../harness/mesh-harness.js';
import { createNatTopology, type NatTopology, type NatTopologyOptions } from '../netns/nat-topology.js';

export const MESH = 'nat-test';
const SECRET = 'nat-test-signaling-secret';
const TURN_SECRET = 'nat-test-turn-secret';
const SIGNAL_PORT = 8080;

export interface NatMeshOptions extends NatTopologyOptions {
  /** `handout signal --turn-url ... --turn-secret ...` (true), or no TURN at all (false). */
  readonly turn: boolean;
  /** TURN URLs handed out; default `turn:10.77.0.1:3478`. */
  readonly turnUrls?: readonly string[];
  /** Extra flags for the home peers (e.g. a short `--connect-timeout`). */
  readonly homeFlags?: readonly string[];
  /** `handout signal --turn-ttl` (e.g. `10s`); default the server's (24 h). */
  readonly turnTtl?: string;
  /**
   * Home peer ids the test brings itself (a Chromium tab in that home's namespace) instead of a `handout peer`
   * process; `homes` then lists only the processes, and `waitForMember` waits for the others.
   */
  readonly externalHomes?: readonly string[];
  /** A directory `handout signal --static` serves (the demo's build, for a contribute tab). */
  readonly staticDir?: string;
  /**
   * Start the Node coordinator on the server namespace (default true). Without it, a dashboard tab the test
   * brings coordinates in the browser; `waitForMember` and `run` then have no coordinator to go through.
   */
  readonly coordinator?: boolean;
}

export interface NatMesh {
  readonly topology: NatTopology;
  readonly signalUrl: string;
  /** The Node coordinator, unless `coordinator: false`. */
  readonly coordinator: PeerProcess | undefined;
  /** The `handout peer` processes of the homes (home-a in home1, home-b in home2), less `externalHomes`. */
  readonly homes: readonly PeerProcess[];
  readonly turnLog: string[];
  /** A token of this mesh bound to `sub`. */
  token(roles: readonly Role[], sub: string): string;
  /** Resolves once the coordinator has heard of `peerId`. */
  waitForMember(peerId: string, timeoutMs?: number): Promise<void>;
  /** `handout run <dag> --signal ... --json` from the public namespace: its exit code and parsed output. */
  run(dag: object, timeoutMs?: number): Promise<{ code: number | string; output: RunJson; stderr: string }>;
  /** Every process's output, for a failing test's report. */
  logs(): string;
  close(): Promise<void>;
}

export interface RunJson {
  readonly status: string;
  readonly results: Record<string, unknown>;
  readonly functions: readonly {
    id: string;
    status: string;
    peer: string | null;
    error: string | null;
    attempts: number;
  }[];
  readonly peers?: Record<string, { links?: Record<string, string> }>;
}

const token = (roles: readonly Role[], sub: string) =>
  signToken({ mesh: MESH, roles, sub, exp: Math.floor(Date.now() / 1000) + 3600 }, SECRET);

/** Installs coturn when it is missing and we are root (as the browser tests install Chromium); throws otherwise. */
export function ensureTurnserver(): void {
  const has = () => {
    try {
      execFileSync('sh', ['-c', 'command -v turnserver'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  };
  if (has()) return;
  if (process.getuid?.() !== 0) throw new Error("coturn ('turnserver') is missing: apt-get install coturn");
  execFileSync('apt-get', ['install', '-y', '-q', 'coturn'], { stdio: 'ignore', timeout: 300_000 });
  if (!has()) throw new Error("coturn ('turnserver') could not be installed");
}

export async function startNatMesh(options: NatMeshOptions): Promise<NatMesh> {
  ensureTurnserver();
  const topology = createNatTopology(options);
  const temp = mkdtempSync(join(tmpdir(), 'handout-nat-'));
  const procs: PeerProcess[] = [];
  const turnLog: string[] = [];
  const pub = topology.public;
  const signalUrl = `http://${pub.address}:${SIGNAL_PORT}`;
  const handout = (ns: string, id: string, args: readonly string[], env: NodeJS.ProcessEnv = {}) => {
    const child = topology.spawn(
      ns,
      process.execPath,
      ['--conditions=source', '--import', 'tsx', CLI, ...args],
      { cwd: ROOT, env: { ...process.env, ...env } },
    );
    const p = wrapProcess(id, child);
    procs.push(p);
    return p;
  };
  const logs = () =>
    [
      ...procs.map(
        (p) =>
          `--- ${p.id} (exit ${p.child.exitCode ?? p.child.signalCode ?? 'running'}) ---\n${p.lines
            .map((l) => JSON.stringify(l))
            .join('\n')}\n${p.stderr.join('')}`,
      ),
      `--- coturn ---\n${turnLog.slice(-60).join('')}`,
    ].join('\n');
  const close = async () => {
    await topology.close();
    rmSync(temp, { recursive: true, force: true });
  };

  try {
    const turn = topology.spawn(pub.ns, 'turnserver', [
      '-n',
      `--listening-ip=${pub.address}`,
      `--relay-ip=${pub.address}`,
      '--listening-port=3478',
      '--use-auth-secret',
      `--static-auth-secret=${TURN_SECRET}`,
      '--realm=handout.test',
      '--no-tls',
      '--no-dtls',
      '--no-cli',
      '--fingerprint',
      '--log-file=stdout',
      '--simple-log',
      // Session lines (user, ALLOCATE, CREATE_PERMISSION) are what tests check and a failure report needs.
      '--verbose',
      `--pidfile=${join(temp, 'turnserver.pid')}`,
    ]);
    turn.stdout!.on('data', (d: Buffer) => turnLog.push(d.toString()));
    turn.stderr!.on('data', (d: Buffer) => turnLog.push(d.toString()));

    const turnUrls = options.turnUrls ?? [`turn:${pub.address}:3478`];
    const signal = handout(
      pub.ns,
      'signal',
      [
        'signal',
        '--host',
        pub.address,
        '--port',
        String(SIGNAL_PORT),
        '--json',
        ...(options.turn ? turnUrls.flatMap((u) => ['--turn-url', u]) : []),
        ...(options.turn && options.turnTtl !== undefined ? ['--turn-ttl', options.turnTtl] : []),
        ...(options.staticDir !== undefined ? ['--static', options.staticDir] : []),
      ],
      {
        HANDOUT_SECRET: SECRET,
        ...(options.turn && { HANDOUT_TURN_SECRET: TURN_SECRET }),
      },
    );
    await signal.waitFor((l) => l.event === 'listening', 30_000);

    const peerArgs = (id: string, extra: readonly string[]) => [
      'peer',
      '--signal',
      signalUrl,
      '--json',
      '--speed',
      '1',
      '--concurrency',
      '1',
      '--cache-dir',
      join(temp, id),
      ...extra,
    ];
    const coordinator =
      options.coordinator === false
        ? undefined
        : handout(
            topology.server.ns,
            'coordinator',
            peerArgs('coordinator', ['--coordinator', '--wait-timeout', '20']),
            { HANDOUT_TOKEN: token(['coordinate'], 'coordinator') },
          );
    const external = new Set(options.externalHomes ?? []);
    const homes = ['home-a', 'home-b'].flatMap((id, k) =>
      external.has(id)
        ? []
        : [
            handout(topology.homes[k]!.ns, id, peerArgs(id, options.homeFlags ?? []), {
              HANDOUT_TOKEN: token(['contribute'], id),
            }),
          ],
    );
    const waitForMember = async (id: string, timeoutMs = 30_000) => {
      if (!coordinator) throw new Error('this NAT mesh has no Node coordinator to ask');
      await coordinator.waitFor(
        (l) =>
          (l.event === 'joined' && (l.peers as string[]).includes(id)) ||
          (l.event === 'peer:joined' && l.peerId === id),
        timeoutMs,
      );
    };
    // Everyone joined, and the coordinator has heard of the homes it started.
    const started = coordinator ? [coordinator, ...homes] : homes;
    await Promise.all(started.map((p) => p.waitFor((l) => l.event === 'joined', 45_000)));
    if (coordinator) for (const home of homes) await waitForMember(home.id);

    return {
      topology,
      signalUrl,
      coordinator,
      homes,
      turnLog,
      token,
      waitForMember,
      logs,
      close,
      async run(dag, timeoutMs = 45_000) {
        const file = join(temp, `dag-${Date.now()}.json`);
        writeFileSync(file, JSON.stringify(dag));
        const p = handout(
          topology.server.ns,
          'run',
          ['run', file, '--signal', signalUrl, '--json', '--progress', 'none'],
          {
            HANDOUT_TOKEN: token(['submit'], `submitter-${procs.length}`),
          },
        );
        // The output is one pretty-printed document: read the raw bytes, not the per-line parse.
        let text = '';
        p.child.stdout!.on('data', (d: Buffer) => {
          text += d.toString();
        });
        const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
        const code = await p.exited;
        clearTimeout(timer);
        let output: RunJson;
        try {
          output = JSON.parse(text) as RunJson;
        } catch {
          throw new Error(`handout run printed no JSON (exit ${code})\n${logs()}`);
        }
        return { code, output, stderr: p.stderr.join('') };
      },
    };
  } catch (error) {
    const report = logs();
    await close();
    throw new Error(`${(error as Error).message}\n${report}`);
  }
}

/** Functions pinned to the homes, each needing an input held in the other home (all results above 16 KiB). */
export const ACROSS_HOMES_DAG = {
  format: 'handout-dag',
  version: 1,
  functions: [
    {
      id: 'big',
      args: [],
      node: 'home-a',
      code: { kind: 'source', source: '(n) => Array.from({ length: n }, (_, i) => i)' },
      extraArgs: [50_000],
    },
    {
      id: 'twice',
      args: ['big'],
      node: 'home-b',
      code: { kind: 'source', source: '(xs) => xs.map((x) => x * 2)' },
    },
    {
      id: 'back',
      args: ['twice'],
      node: 'home-a',
      code: { kind: 'source', source: '(ys) => ys.length + ys[ys.length - 1]' },
    },
  ],
};
