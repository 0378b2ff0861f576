/**
 * `WorkerPool.ready()`: who waits for every worker of a pool to have started once, and when they are let go
 * (all started, the pool gave up starting them, or it closed).
 */
export class StartGate {
  private readonly started = new Set<number>();
  private waiters: (() => void)[] = [];
  private open = false;

  constructor(private readonly size: number) {}

  /** Worker `worker` answered for the first time (a replacement of a started slot changes nothing). */
  markStarted(worker: number): void {
    this.started.add(worker);
    if (this.started.size >= this.size) this.openForGood();
  }

  /** Resolves once every worker started or the gate was opened; never rejects. */
  wait(): Promise<void> {
    if (this.open) return Promise.resolve();
    return new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  /** Let every waiter go, now and from now on (all started, the pool closed, or it gave up starting workers). */
  openForGood(): void {
    this.open = true;
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }
}
