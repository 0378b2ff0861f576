/**
 * Colours shared by every view, so a worker is the same colour in the task stream, the resource chart, the
 * peers table and the showcase's tile outlines, and a function group (prefix) is the same colour everywhere.
 */
import type { FunctionStatus } from '@handout/peer-runtime';

/** Distinct, colour-blind-friendly hues (Okabe–Ito, then Tableau extras) that read on a dark background. */
const LANE_PALETTE = [
  '#56b4e9',
  '#e69f00',
  '#009e73',
  '#f0e442',
  '#cc79a7',
  '#d55e00',
  '#0072b2',
  '#9edae5',
  '#c5b0d5',
  '#ff9896',
  '#98df8a',
  '#dbdb8d',
];

export function laneColor(index: number): string {
  return LANE_PALETTE[((index % LANE_PALETTE.length) + LANE_PALETTE.length) % LANE_PALETTE.length]!;
}

const assigned = new Map<string, number>();

/**
 * The colour of a lane, stable for the life of the page: `local:N` is palette entry N; any other lane (a peer id)
 * gets the next entry after the local ones the first time it is seen.
 */
export function laneColorOf(lane: string): string {
  const local = /^local:(\d+)$/.exec(lane);
  if (local) return laneColor(Number(local[1]));
  let i = assigned.get(lane);
  if (i === undefined) {
    i = 4 + assigned.size;
    assigned.set(lane, i);
  }
  return laneColor(i);
}

/**
 * One colour per function state, for the graph, the legend, the progress bars and the run status. Cancelled is
 * its own (a slate blue, far from failure red): a run someone stopped did not fail.
 */
export const STATUS_COLORS: Readonly<Record<FunctionStatus, string>> = {
  pending: '#3a4152',
  queued: '#5b6b8c',
  running: '#f5b83d',
  succeeded: '#3ecf8e',
  failed: '#ff5d5d',
  skipped: '#8d6fa8',
  cancelled: '#6f8fb3',
};

/** The colour of a result that came from a cache (nothing executed). */
export const CACHED_COLOR = '#2ea2a8';

/** Publishes the state colours as CSS custom properties (`--st-failed`, ...), so stylesheets use the same ones. */
export function applyStatusColors(root: HTMLElement = document.documentElement): void {
  for (const [status, color] of Object.entries(STATUS_COLORS))
    root.style.setProperty(`--st-${status}`, color);
  root.style.setProperty('--st-cached', CACHED_COLOR);
}

// No reds, ambers or teals: those mean failed, running and cached (STATUS_COLORS, CACHED_COLOR).
const GROUP_PALETTE = [
  '#7aa2f7',
  '#bb9af7',
  '#2ac3de',
  '#e0af68',
  '#9ece6a',
  '#a9b1d6',
  '#73daca',
  '#ff9e64',
];

/** A stable colour for a function group (a string hash into a palette). */
export function groupColor(group: string): string {
  let h = 2166136261;
  for (let i = 0; i < group.length; i++) h = Math.imul(h ^ group.charCodeAt(i), 16777619);
  return GROUP_PALETTE[(h >>> 0) % GROUP_PALETTE.length]!;
}

/**
 * A label for a lane when nothing better is known: `local:3` → `worker 3`; a peer id is shortened to its first
 * 10 characters. The dashboard names peers through run-source/peer-names.ts instead.
 */
export function laneLabel(lane: string): string {
  const local = /^local:(\d+)$/.exec(lane);
  if (local) return `worker ${local[1]}`;
  return lane.length > 12 ? `${lane.slice(0, 10)}…` : lane;
}
