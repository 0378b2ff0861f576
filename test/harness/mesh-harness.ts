/**
 * A harness for tests over real processes: a signaling server in this process, `handout peer` processes spawned
 * from the CLI sources (`node --conditions=source --import tsx cli/src/main.ts peer ...`), waits on
 * membership and on the peers' JSON log lines, SIGKILL, and a cleanup that always kills what it started.
 *
 * Peers are started with `--json`, so each prints one JSON object per line (`joined`, `peer:joined`,
 * `peer:left`, `left`, ...); the harness keeps every line (and stderr) for assertions and for the failure report.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';
import type { PeerInfo, Role } from '../../peer-runtime/src/signaling/contract.js';
import { createSignalingServer, type SignalingServer } from '../../signaling-server/src/index.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CLI = join(ROOT, 'cli/src/main.ts');

export type LogLine = Record<string, unknown>;

export interface PeerProcess {
  readonly id: string;
  readonly child: ChildProcess;
  /** Parsed JSON lines of stdout. */
  readonly lines: LogLine[];
  /** Raw stderr text. */
  readonly stderr: string[];
  /** Resolves with the first line (past or future) matching; rejects after `timeoutMs` with the log attached. */
  waitFor(predicate: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** Resolves with the exit code (or the signal name). */
  readonly exited: Promise<number | string>;
  kill(signal?: NodeJS.Signals): void;
}

export interface SpawnPeerOptions {
  /** Peer id; the token is bound to it (`sub`), so the process joins under this id. */
  readonly id: string;
  readonly roles?: readonly Role[];
  /**
   * A token marked `trusted` (the mesh owner's own machine): its cache announcements count even for hashes the
   * coordinator cannot check, e.g. after a coordinator restart (docs/security.md). Default false.
   */
  readonly trusted?: boolean;
  /** Extra CLI flags, e.g. `['--concurrency', '2', '--tags', 'eu']`. */
  readonly flags?: readonly string[];
  /** Default: a fresh temporary directory per peer, removed at cleanup. */
  readonly cacheDir?: string;
}

export interface MeshHarness {
  readonly server: SignalingServer;
  readonly mesh: string;
  readonly peers: Map<string, PeerProcess>;
  token(roles: readonly Role[], sub?: string): string;
  spawnPeer(options: SpawnPeerOptions): PeerProcess;
  /**
   * Spawns a test fixture script (e.g. test/fixtures/liar-peer.ts) as a peer process: `node --import tsx
   * <script> <signal url> ...args` with a token bound to `id` in HANDOUT_TOKEN; killed at cleanup like a peer.
   */
  spawnFixture(options: {
    readonly id: string;
    readonly script: string;
    readonly roles?: readonly Role[];
    readonly args?: readonly string[];
    readonly env?: Readonly<Record<string, string>>;
  }): PeerProcess;
  /** Spawns a CLI command (not a peer) and collects its output; resolves when it exits. */
  runCli(args: readonly string[], options?: { timeoutMs?: number }): Promise<CliResult>;
  /** Waits until the server lists every id as a member of the mesh (and, when given, `predicate` holds for each). */
  waitForMembers(
    ids: readonly string[],
    predicate?: (peer: PeerInfo) => boolean,
    timeoutMs?: number,
  ): Promise<void>;
  /**
   * Closes the signaling server, waits `downMs`, and starts a new one on the same port with the same secret (its
   * registry empty: every peer must reconnect and join again). `server` is the new one afterwards.
   */
  restartServer(downMs: number): Promise<void>;
  /** Everything the processes printed, for a failing test's report. */
  logs(): string;
  /** Kills every process still running (SIGKILL), closes the server, removes temporary directories. */
  close(): Promise<void>;
}

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startMeshHarness(
  options: {
    mesh?: string;
    /** Keep the server's default presence and grace windows (benchmarks of liveness). Default false. */
    defaultWindows?: boolean;
  } = {},
): Promise<MeshHarness> {
  const mesh = options.mesh ?? 'test-mesh';
  // Short presence and grace windows, so a SIGKILLed peer is announced gone quickly.
  const serverOptions = {
    host: '127.0.0.1',
    ...(options.defaultWindows !== true && { presenceTimeoutMs: 2000, reconnectGraceMs: 1000 }),
  };
  let server = await createSignalingServer({ ...serverOptions, port: 0 });
  const peers = new Map<string, PeerProcess>();
  const temp: string[] = [];
  const others: ChildProcess[] = [];

  const token = (roles: readonly Role[], sub?: string, trusted = false) =>
    server.issueToken({
      mesh,
      roles,
      ttlSeconds: 3600,
      ...(sub ? { sub } : {}),
      ...(trusted && { trusted }),
    });

  const spawnPeer = (o: SpawnPeerOptions): PeerProcess => {
    let cacheDir = o.cacheDir;
    if (cacheDir === undefined) {
      cacheDir = mkdtempSync(join(tmpdir(), `handout-${o.id}-`));
      temp.push(cacheDir);
    }
    const args = [
      ...nodeArgsFromEnv(),
      '--conditions=source',
      '--import',
      'tsx',
      CLI,
      'peer',
      '--signal',
      server.url,
      '--cache-dir',
      cacheDir,
      '--json',
      ...(o.flags ?? []),
    ];
    // The token travels in the environment, never on the command line (`ps`, /proc/<pid>/cmdline).
    const env = { ...process.env, HANDOUT_TOKEN: token(o.roles ?? ['contribute'], o.id, o.trusted) };
    const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const p = wrap(o.id, child);
    peers.set(o.id, p);
    return p;
  };

  const spawnFixture: MeshHarness['spawnFixture'] = (o) => {
    const env = { ...process.env, ...o.env, HANDOUT_TOKEN: token(o.roles ?? ['contribute'], o.id) };
    const child = spawn(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', join(ROOT, o.script), server.url, ...(o.args ?? [])],
      { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const p = wrap(o.id, child);
    peers.set(o.id, p);
    return p;
  };

  const runCli = (args: readonly string[], runOptions: { timeoutMs?: number } = {}): Promise<CliResult> =>
    new Promise((resolve) => {
      const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', CLI, ...args], {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      others.push(child);
      let stdout = '';
      let stderr = '';
      child.stdout!.on('data', (d: Buffer) => {
        stdout += d.toString();
      });
      child.stderr!.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      const timer = setTimeout(() => child.kill('SIGKILL'), runOptions.timeoutMs ?? 120_000);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
    });

  const allLogs = (): string => [...peers.values()].map(describeProcess).join('\n');

  return {
    get server() {
      return server;
    },
    async restartServer(downMs) {
      const port = Number(new URL(server.url).port);
      const { secret } = server;
      await server.close();
      await sleep(downMs);
      // Same port and secret: the peers reconnect to the same URL with the tokens they hold.
      server = await createSignalingServer({ ...serverOptions, port, secret });
    },
    mesh,
    peers,
    token,
    spawnPeer,
    spawnFixture,
    runCli,
    async waitForMembers(ids, predicate, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const members = new Map((await server.peers(mesh)).map((p) => [p.peerId, p]));
        const ok = ids.every((id) => {
          const m = members.get(id);
          return m !== undefined && (predicate === undefined || predicate(m));
        });
        if (ok) return;
        for (const id of ids) {
          const p = peers.get(id);
          if (p && p.child.exitCode !== null)
            throw new Error(
              `peer '${id}' exited with code ${p.child.exitCode} before joining\n${describeProcess(p)}`,
            );
        }
        if (Date.now() > deadline)
          throw new Error(`members ${ids.join(', ')} not all joined within ${timeoutMs} ms\n${allLogs()}`);
        await sleep(50);
      }
    },
    logs: allLogs,
    async close() {
      // Profiled peers (HANDOUT_PEER_NODE_ARGS) write their profiles only on a clean exit: ask them to leave first.
      if (nodeArgsFromEnv().length > 0) {
        for (const p of peers.values()) if (p.child.exitCode === null) p.kill('SIGTERM');
        await Promise.race([Promise.all([...peers.values()].map((p) => p.exited)), sleep(10_000)]);
      }
      for (const p of peers.values())
        if (p.child.exitCode === null && p.child.signalCode === null) p.kill('SIGKILL');
      for (const c of others) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      await Promise.all([...peers.values()].map((p) => p.exited));
      await server.close();
      for (const dir of temp) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Spawns `handout <args>` from the sources, wrapped like a peer (JSON lines collected, waitFor, kill). */
/**
 * Extra Node flags for spawned peers, from `HANDOUT_PEER_NODE_ARGS` (space-separated), e.g.
 * `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile the peers of a benchmark (Node refuses --cpu-prof in NODE_OPTIONS).
 */
function nodeArgsFromEnv(): string[] {
  return (process.env.HANDOUT_PEER_NODE_ARGS ?? '').split(' ').filter((a) => a.length > 0);
}

/** Waits until `check()` holds, polling every 50 ms; fails after `ms` naming `what`. */
/**
 * What a test opens (a harness, a connected mesh), closed after each test in reverse order: a mesh before the
 * harness whose server it is a member of. Call in a `describe`; wrap each thing as it is opened.
 */
export function closedAfterEach(): <T extends { close(): Promise<unknown> }>(thing: T) => T {
  const open: { close(): Promise<unknown> }[] = [];
  afterEach(async () => {
    while (open.length > 0) await open.pop()!.close();
  });
  return (thing) => {
    open.push(thing);
    return thing;
  };
}

export async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function spawnCli(id: string, args: readonly string[]): PeerProcess {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', CLI, ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return wrap(id, child);
}

function describeProcess(p: PeerProcess): string {
  const out = p.lines.map((l) => JSON.stringify(l)).join('\n');
  return `--- peer ${p.id} (exit ${p.child.exitCode ?? p.child.signalCode ?? 'running'}) ---\n${out}\n${p.stderr.join('')}`;
}

/** Wraps a spawned `handout` process (its stdout JSON lines collected, waitFor, kill) as a PeerProcess. */
export function wrapProcess(id: string, child: ChildProcess): PeerProcess {
  return wrap(id, child);
}

function wrap(id: string, child: ChildProcess): PeerProcess {
  const lines: LogLine[] = [];
  const stderr: string[] = [];
  const waiters = new Set<{ predicate: (l: LogLine) => boolean; resolve: (l: LogLine) => void }>();
  createInterface({ input: child.stdout! }).on('line', (text) => {
    let line: LogLine;
    try {
      line = JSON.parse(text) as LogLine;
    } catch {
      line = { event: 'text', text };
    }
    lines.push(line);
    for (const w of [...waiters]) {
      if (w.predicate(line)) {
        waiters.delete(w);
        w.resolve(line);
      }
    }
  });
  child.stderr!.on('data', (d: Buffer) => stderr.push(d.toString()));
  const exited = new Promise<number | string>((resolve) => {
    child.on('exit', (code, signal) => resolve(code ?? signal ?? -1));
  });
  const self: PeerProcess = {
    id,
    child,
    lines,
    stderr,
    exited,
    kill: (signal = 'SIGKILL') => {
      child.kill(signal);
    },
    waitFor(predicate, timeoutMs = 30_000) {
      const found = lines.find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const waiter = {
          predicate,
          resolve: (l: LogLine) => {
            clearTimeout(timer);
            resolve(l);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(
            new Error(`peer '${id}': no matching log line within ${timeoutMs} ms\n${describeProcess(self)}`),
          );
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
  };
  return self;
}
