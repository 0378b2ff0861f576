/**
 * What `/metrics` adds to the server's own counters (metrics.ts): prom-client's process and Node runtime
 * metrics (`process_*`, `nodejs_*`: CPU, resident memory, heap, event-loop lag, GC, open handles) and
 * histograms of how long things take, which a counter cannot show. prom-client keeps the exposition format right.
 *
 * One registry per server, so that several servers in one process (tests, a deployment's embedded server) do
 * not mix their histograms; the process metrics are the same in each.
 */
import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';

export class RuntimeMetrics {
  readonly register = new Registry();
  /** From the handshake's arrival to the connection's admission or refusal. */
  readonly admission: Histogram<'outcome'>;
  /** How long a session lasted, by why it ended. */
  readonly session: Histogram<'reason'>;

  constructor() {
    collectDefaultMetrics({ register: this.register });
    this.admission = new Histogram({
      name: 'handout_signaling_admission_seconds',
      help: 'Time from a handshake to its admission or refusal (token check, registry claim).',
      labelNames: ['outcome'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [this.register],
    });
    this.session = new Histogram({
      name: 'handout_signaling_session_seconds',
      help: 'How long sessions lasted, by how they ended.',
      labelNames: ['reason'],
      buckets: [1, 10, 60, 300, 1800, 3600, 6 * 3600, 24 * 3600],
      registers: [this.register],
    });
  }

  /** A timer for one admission: call the result with the outcome (`admitted` or the refusal reason). */
  startAdmission(): (outcome: string) => void {
    const end = this.admission.startTimer();
    return (outcome) => {
      end({ outcome });
    };
  }

  text(): Promise<string> {
    return this.register.metrics();
  }
}
