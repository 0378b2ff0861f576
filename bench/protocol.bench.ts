/**
 * CPU cost of receiving the mesh's hot messages (issue 4: thousands of tiny functions per second on two cores,
 * so every microsecond per function counts): a `batch` holding one `task:assign` of 100 assignments, and a
 * `batch` of 100 `task:result` messages, shaped as the scheduler and the peer agent send them.
 *
 * Two figures per message, in µs per item (assignment or result): `validateMessage` alone on an already
 * decoded value, and `decodeMessage` (CBOR decode + attachment restore + validation) on the wire bytes.
 * Each figure is the median of several timed rounds, after a warm-up that lets the JIT settle; CPU time is
 * this process's user + system time, steadier than wall time on a shared machine.
 *
 * Run: node --conditions=source --import tsx bench/protocol.bench.ts
 */
import { pathToFileURL } from 'node:url';
import { decodeMessage, encodeMessage, joinParts } from '../peer-runtime/src/protocol/codec.js';
import type { TaskAssignment, WireMessage } from '../peer-runtime/src/protocol/messages.js';
import { validateMessage } from '../peer-runtime/src/protocol/messages-validate.js';
import type { BenchResult } from './types.js';

export interface ProtocolBenchOptions {
  /** Items (assignments, results) per batch. Default 100. */
  readonly items?: number;
  /** Timed rounds; the median is reported. Default 9. */
  readonly rounds?: number;
  /** Length of one round in ms of wall time (enough calls to dwarf the CPU clock's granularity). Default 50. */
  readonly roundMs?: number;
}

/** 64 hex characters, distinct per `n`, like a sha-256 content hash. */
function hexHash(n: number): string {
  return n.toString(16).padStart(8, '0').repeat(8);
}

/** A function of the mesh bench's layered DAG: two inputs of the layer before, inline, and a salt. */
function assignmentOf(i: number, width: number): TaskAssignment {
  const a = `l0-${i}`;
  const b = `l0-${(i + 1) % width}`;
  const inlineInput = (k: number) => Uint8Array.of(0xa1, 0x61, 0x76, 0x19, k & 0xff, (k >> 8) & 0xff);
  return {
    functionId: `l1-${i}`,
    hash: hexHash(1_000_000 + i),
    attempt: 1,
    spec: { id: `l1-${i}`, args: [a, b], code: { kind: 'source', source: '(a, b, k) => k' }, extraArgs: [i] },
    inputs: [
      { producer: a, hash: hexHash(i), holders: ['peer-a'], inline: inlineInput(i) },
      { producer: b, hash: hexHash((i + 1) % width), holders: ['peer-a'], inline: inlineInput(i + 1) },
    ],
  };
}

export function assignBatch(items: number): WireMessage {
  const assignments = Array.from({ length: items }, (_, i) => assignmentOf(i, items));
  return { type: 'batch', messages: [{ type: 'task:assign', runId: 'run-1', assignments }] };
}

export function resultBatch(items: number): WireMessage {
  return {
    type: 'batch',
    messages: Array.from({ length: items }, (_, i) => ({
      type: 'task:result' as const,
      runId: 'run-1',
      functionId: `l1-${i}`,
      hash: hexHash(1_000_000 + i),
      attempt: 1,
      size: 6,
      durationMs: 0.4 + (i % 7) / 10,
      inline: Uint8Array.of(0xa1, 0x61, 0x76, 0x19, i & 0xff, 0),
    })),
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Median CPU µs per item of `fn` over `rounds` rounds of about `roundMs` each. */
function measure(fn: () => void, items: number, rounds: number, roundMs: number): number {
  // Warm-up (the JIT settles), which also counts how many calls fill a round.
  let calls = 0;
  const start = performance.now();
  while (performance.now() - start < roundMs * 2) {
    fn();
    calls++;
  }
  calls = Math.max(1, Math.ceil(calls / 2));
  const perItem: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < calls; i++) fn();
    const cpu = process.cpuUsage(cpu0);
    perItem.push((cpu.user + cpu.system) / (calls * items));
  }
  return median(perItem);
}

/** Both figures for one message: validation of already decoded values, and decode (which validates) of its bytes. */
function measureMessage(message: WireMessage, items: number, rounds: number, roundMs: number) {
  const bytes = joinParts(encodeMessage(message));
  // Decoded copies made beforehand, so validation alone is timed; it never mutates its input, so they are reused.
  const decoded = Array.from({ length: 16 }, () => decodeMessage(bytes) as unknown);
  let k = 0;
  const validateUs = measure(() => validateMessage(decoded[k++ % decoded.length]), items, rounds, roundMs);
  const decodeUs = measure(() => decodeMessage(bytes), items, rounds, roundMs);
  return { validateUs, decodeUs, byteLength: bytes.byteLength };
}

const round2 = (us: number) => Math.round(us * 100) / 100;

export async function benchProtocol(options: ProtocolBenchOptions = {}): Promise<BenchResult> {
  const items = options.items ?? 100;
  const rounds = options.rounds ?? 9;
  const roundMs = options.roundMs ?? 50;
  const assign = measureMessage(assignBatch(items), items, rounds, roundMs);
  const result = measureMessage(resultBatch(items), items, rounds, roundMs);
  return {
    name: 'protocol-receive',
    metrics: {
      items,
      assignValidateUsPerItem: round2(assign.validateUs),
      assignDecodeUsPerItem: round2(assign.decodeUs),
      assignBatchBytes: assign.byteLength,
      resultValidateUsPerItem: round2(result.validateUs),
      resultDecodeUsPerItem: round2(result.decodeUs),
      resultBatchBytes: result.byteLength,
    },
    summary:
      `| receive a batch of ${items} task:assign assignments / ${items} task:result messages (cpu µs per item) | ` +
      `assign: validate ${assign.validateUs.toFixed(2)}, decode+validate ${assign.decodeUs.toFixed(2)}; ` +
      `result: validate ${result.validateUs.toFixed(2)}, decode+validate ${result.decodeUs.toFixed(2)} |`,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await benchProtocol();
  console.log(JSON.stringify(result));
  console.log(result.summary);
}
