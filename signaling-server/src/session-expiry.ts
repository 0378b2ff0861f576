/**
 * The end of a session's token: a warning `renewBeforeMs` before `exp` (the client may send `token:renew`),
 * then the close. Node timers overflow past 2^31-1 ms (24.8 days) and would fire at once, so long waits are
 * taken in steps.
 */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface SessionExpiryHandlers {
  warn(exp: number): void;
  expire(exp: number): void;
}

export class SessionExpiry {
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly renewBeforeMs: number,
    private readonly handlers: SessionExpiryHandlers,
    private readonly now: () => number = Date.now,
  ) {}

  /** (Re)schedules for a token expiring at `exp` (epoch seconds). */
  schedule(exp: number): void {
    this.clear();
    const warnAt = exp * 1000 - this.renewBeforeMs;
    this.at(warnAt, () => {
      this.handlers.warn(exp);
      this.at(exp * 1000, () => this.handlers.expire(exp));
    });
  }

  clear(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private at(when: number, run: () => void): void {
    const wait = when - this.now();
    if (wait <= 0) {
      run();
      return;
    }
    this.timer = setTimeout(() => this.at(when, run), Math.min(wait, MAX_TIMER_MS));
  }
}
