/**
 * A cancellation signal for `WorkerPool.run`, as small as it can be.
 *
 * Why not AbortController: a mesh peer gives every assigned function its own way to be cancelled (a duplicate
 * lost its race, the coordinator superseded the attempt), and at thousands of functions a second the
 * EventTarget machinery of an AbortController (creating the signal, adding and removing a listener) was a
 * measurable share of a peer's CPU. The pool only needs `aborted` and one listener, which this gives for the
 * cost of a plain object. An AbortSignal satisfies the same interface, so callers that have one pass it.
 */

/** What the pool reads of a signal: AbortSignal has this shape, and so does `Cancellation`. */
export interface CancelSignal {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: () => void): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

export class Cancellation implements CancelSignal {
  private done = false;
  private listeners: (() => void)[] | undefined;

  get aborted(): boolean {
    return this.done;
  }

  addEventListener(_type: 'abort', listener: () => void): void {
    if (this.listeners === undefined) this.listeners = [listener];
    else this.listeners.push(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    const i = this.listeners?.indexOf(listener) ?? -1;
    if (i >= 0) this.listeners!.splice(i, 1);
  }

  /** Cancels once; listeners run with `this` bound to the signal, as an AbortSignal's would. */
  abort(): void {
    if (this.done) return;
    this.done = true;
    const listeners = this.listeners ?? [];
    this.listeners = undefined;
    for (const listener of listeners) listener.call(this);
  }
}
