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

/**
 * Like `perFrame`, but at most one call per `minIntervalMs`: a live view redrawn at 60 Hz takes the main thread
 * from the run it shows (a local run's scheduler lives on it) and, on a 2-core machine, the CPU from its
 * workers; ten redraws a second read as live. The last change is always drawn.
 */
export function throttledFrame(draw: () => void, minIntervalMs: number): () => void {
  let scheduled = false;
  let last = Number.NEGATIVE_INFINITY;
  const run = (): void => {
    requestAnimationFrame(() => {
      scheduled = false;
      last = performance.now();
      draw();
    });
  };
  return () => {
    if (scheduled) return;
    scheduled = true;
    const wait = last + minIntervalMs - performance.now();
    if (wait <= 0) run();
    else setTimeout(run, wait);
  };
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
