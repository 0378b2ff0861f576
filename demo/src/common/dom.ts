/** Tiny DOM helpers: the demo uses no framework, so these keep element creation readable. */

type Attrs = Readonly<Record<string, string | number | boolean | undefined>>;

const SVG_NS = 'http://www.w3.org/2000/svg';

function applyAttrs(el: Element, attrs: Attrs): void {
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    el.setAttribute(k, v === true ? '' : String(v));
  }
}

/** An HTML element with attributes and children (strings become text nodes). */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Array<Node | string>
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  applyAttrs(el, attrs);
  el.append(...children);
  return el;
}

/** An SVG element with attributes and children. */
export function s<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Array<Node | string>
): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG_NS, tag);
  applyAttrs(el, attrs);
  el.append(...children);
  return el;
}

/** The element with this id, typed; throws naming the id when the page lacks it (a broken page should say so). */
export function byId<T extends HTMLElement>(id: string, type: new () => T): T {
  const el = document.getElementById(id);
  if (!(el instanceof type)) throw new Error(`page element #${id} is missing or not a ${type.name}`);
  return el;
}

/**
 * Coalesce many change notifications into one call per animation frame: run events can arrive by the
 * thousand per second, the screen only needs 60 redraws.
 */
export function perFrame(draw: () => void): () => void {
  let scheduled = false;
  return () => {
    if (scheduled) return;
    scheduled = true;
    requestAnimationFrame(() => {
      scheduled = false;
      draw();
    });
  };
}

/** How long the last redraws took, for a page to report (and tests to read). */
export interface DrawTimes {
  /** Durations of the most recent redraws (ms), oldest first; at most 600. */
  readonly recent: readonly number[];
}

/**
 * Like `perFrame`, but leaves the page time between redraws: at most one call per `minIntervalMs`, and, when a
 * redraw takes long, at most `budget` of the time spent redrawing (a redraw of 30 ms with a budget of 0.2 waits
 * 150 ms before the next). A live view redrawn at 60 Hz takes the main thread from the run it shows (a local
 * run's scheduler lives on it) and, on a 2-core machine, the CPU from its workers; ten redraws a second read as
 * live. The last change is always drawn.
 */
export function throttledFrame(
  draw: () => void,
  minIntervalMs: number,
  budget = 0.2,
): { schedule: () => void; times: DrawTimes } {
  let scheduled = false;
  let last = Number.NEGATIVE_INFINITY;
  let lastCost = 0;
  const recent: number[] = [];
  const run = (): void => {
    requestAnimationFrame(() => {
      scheduled = false;
      const t = performance.now();
      draw();
      lastCost = performance.now() - t;
      last = t;
      recent.push(lastCost);
      if (recent.length > 600) recent.shift();
    });
  };
  const schedule = (): void => {
    if (scheduled) return;
    scheduled = true;
    const wait = last + Math.max(minIntervalMs, lastCost / budget) - performance.now();
    if (wait <= 0) run();
    else setTimeout(run, wait);
  };
  return { schedule, times: { recent } };
}

/** `1234` → `1.23 s`, `85` → `85 ms`. */
export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** `1536` → `1.5 KiB`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB'];
  let v = bytes / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}
