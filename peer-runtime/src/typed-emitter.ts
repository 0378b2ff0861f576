/**
 * The small typed emitter behind the `on(event, listener) → unsubscribe` surfaces (Run, WorkerPool, Transport):
 * one payload per event, listeners typed by an event map (`{ 'task:started': {...}, ... }`), no Node
 * EventEmitter (it is not in browsers) and no string-typed `any` payloads.
 */

export interface TypedEmitterOptions {
  /**
   * Whether a throwing listener is caught so the other listeners and the emitter's own work carry on. Default:
   * true (a listener's bug, e.g. in a UI, must not derail the run or the supervision it observes). With false the
   * error reaches the code that emitted.
   */
  readonly catchListenerErrors?: boolean;
}

type Listener = (payload: never) => void;

export class TypedEmitter<Events extends object> {
  readonly #listeners = new Map<keyof Events, Set<Listener>>();
  readonly #catch: boolean;

  constructor(options: TypedEmitterOptions = {}) {
    this.#catch = options.catchListenerErrors ?? true;
  }

  /** Subscribes `listener` to `event`; returns the unsubscribe function. */
  on<E extends keyof Events>(event: E, listener: (payload: Events[E]) => void): () => void {
    let set = this.#listeners.get(event);
    if (!set) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    set.add(listener as Listener);
    return () => set.delete(listener as Listener);
  }

  /** Whether `event` was ever subscribed to, so an emitter can skip building a payload nobody asked for. */
  has(event: keyof Events): boolean {
    return this.#listeners.has(event);
  }

  /** Calls the listeners of `event` in subscription order. */
  emit<E extends keyof Events>(event: E, payload: Events[E]): void {
    const set = this.#listeners.get(event);
    if (!set) return;
    for (const listener of set) {
      if (!this.#catch) {
        (listener as (p: Events[E]) => void)(payload);
        continue;
      }
      try {
        (listener as (p: Events[E]) => void)(payload);
      } catch {
        // See TypedEmitterOptions.catchListenerErrors.
      }
    }
  }
}
