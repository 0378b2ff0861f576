/**
 * Progress on stderr while a run goes: a progress bar redrawn in place on a terminal, or one plain line per
 * finished function otherwise (logs, CI, pipes). stdout is left alone so `--json` output stays parseable.
 */
import type { Run } from '@handout/peer-runtime';
import type { ProgressMode } from './settings.js';

export interface ProgressStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

export interface ProgressReporter {
  /** Writes whole lines to the stream: above the bar (cleared, then redrawn), or as they are. */
  above(text: string): void;
  /** Draws the final state, ends the bar's line and unsubscribes. */
  stop(): void;
}

/** The bar is redrawn at most this often: a run of thousands of tiny functions must not spend its time drawing. */
export const REDRAW_INTERVAL_MS = 100;

export function chooseProgressMode(
  mode: ProgressMode,
  stream: ProgressStream,
): Exclude<ProgressMode, 'auto'> {
  if (mode !== 'auto') return mode;
  return stream.isTTY === true ? 'bar' : 'lines';
}

export function attachProgress(
  run: Run,
  mode: Exclude<ProgressMode, 'auto'>,
  stream: ProgressStream,
  total: number,
): ProgressReporter {
  if (mode === 'none') return { above: (text) => stream.write(text), stop() {} };
  const counts = { succeeded: 0, failed: 0, skipped: 0 };
  const running = new Set<string>();
  const startedAt = new Map<string, number>();
  const began = Date.now();
  const offs: Array<() => void> = [];

  let timer: ReturnType<typeof setTimeout> | undefined;
  let lastDraw = 0;
  const draw = (): void => {
    timer = undefined;
    lastDraw = Date.now();
    stream.write(
      `\r\x1b[2K${renderBar(counts, running.size, total, lastDraw - began, stream.columns ?? 80)}`,
    );
  };
  const changed = (): void => {
    if (mode !== 'bar' || timer !== undefined) return;
    const wait = Math.max(0, REDRAW_INTERVAL_MS - (Date.now() - lastDraw));
    timer = setTimeout(draw, wait);
  };
  const line = (text: string): void => {
    if (mode === 'lines') stream.write(`${text}\n`);
  };

  offs.push(
    run.on('task:started', (e) => {
      running.add(e.id);
      startedAt.set(e.id, e.at);
      changed();
    }),
    run.on('task:succeeded', (e) => {
      running.delete(e.id);
      counts.succeeded++;
      const since = startedAt.get(e.id);
      const took = e.cached ? 'cached' : since === undefined ? '' : formatDuration(e.at - since);
      line(`succeeded ${e.id} ${took} ${e.peer}`.trimEnd());
      changed();
    }),
    run.on('task:failed', (e) => {
      running.delete(e.id);
      if (e.final) {
        counts.failed++;
        line(`failed    ${e.id} attempt ${e.attempt} on ${e.peer}: ${firstLine(e.error.originalMessage)}`);
      }
      changed();
    }),
    run.on('task:skipped', (e) => {
      counts.skipped++;
      line(`skipped   ${e.id} (input ${e.because} failed)`);
      changed();
    }),
    // Rare and worth seeing: one line in both modes (above the bar, which is redrawn under it).
    run.on('run:coordinator-changed', (e) => {
      running.clear();
      const text = coordinatorChangedLine(e);
      if (mode === 'lines') line(text);
      else {
        stream.write(`\r\x1b[2K${text}\n`);
        changed();
      }
    }),
  );
  if (mode === 'bar') draw();

  return {
    above(text) {
      if (mode !== 'bar') {
        stream.write(text);
        return;
      }
      stream.write(`\r\x1b[2K${text}`);
      changed();
    },
    stop() {
      for (const off of offs) off();
      if (timer !== undefined) clearTimeout(timer);
      if (mode === 'bar') {
        running.clear();
        draw();
        stream.write('\n');
      }
    },
  };
}

/** `coordinator 'co' lost (stopped answering); the run moved to 'co2' after 2.1 s`. */
export function coordinatorChangedLine(e: {
  from: string;
  to: string;
  reason: string;
  gapMs: number;
}): string {
  return `coordinator '${e.from}' lost (${e.reason}); the run moved to '${e.to}' after ${formatDuration(e.gapMs)} without one`;
}

export function renderBar(
  counts: { succeeded: number; failed: number; skipped: number },
  running: number,
  total: number,
  elapsedMs: number,
  columns: number,
): string {
  const done = counts.succeeded + counts.failed + counts.skipped;
  const text =
    ` ${done}/${total}  ✓ ${counts.succeeded}  ✗ ${counts.failed}` +
    `${counts.skipped > 0 ? `  skipped ${counts.skipped}` : ''}  running ${running}  ${formatDuration(elapsedMs)}`;
  const width = Math.max(10, Math.min(40, columns - text.length - 3));
  const filled = total === 0 ? width : Math.round((done / total) * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]${text}`;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const m = Math.floor(ms / 60_000);
  return `${m} min ${Math.round((ms - m * 60_000) / 1000)} s`;
}

export function firstLine(text: string): string {
  const i = text.indexOf('\n');
  return i === -1 ? text : `${text.slice(0, i)} …`;
}
