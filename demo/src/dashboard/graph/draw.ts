/** Drawing one graph node on a canvas, in world coordinates (the caller's transform scales them). */
import { CACHED_COLOR, groupColor, STATUS_COLORS } from '../../common/colors.js';
import type { FunctionGroup } from '../../run-model/dag-shape.js';
import type { StatusCounts } from '../../run-model/run-model.js';
import type { Point } from './layout.js';

/** The ring's segments, clockwise from the top; what is left of the circle is pending or queued. */
export const RING_ORDER = ['succeeded', 'running', 'failed', 'skipped', 'cancelled', 'queued'] as const;

const ringColor = (k: (typeof RING_ORDER)[number]): string => STATUS_COLORS[k];

/**
 * A collapsed group: a disc in the group's colour, its count and name, and a progress ring split by state
 * (succeeded first, the cached share of it in the cache colour).
 */
export function drawGroupNode(
  ctx: CanvasRenderingContext2D,
  group: FunctionGroup,
  p: Point,
  r: number,
  c: StatusCounts,
  scale: number,
): void {
  ctx.beginPath();
  ctx.arc(p.x, p.y, r, 0, Math.PI * 2);
  ctx.fillStyle = '#1b2236';
  ctx.fill();
  ctx.lineWidth = 1.5;
  ctx.strokeStyle = groupColor(group.prefix);
  ctx.stroke();

  const ringR = r + 4;
  ctx.lineWidth = 5;
  ctx.beginPath();
  ctx.arc(p.x, p.y, ringR, 0, Math.PI * 2);
  ctx.strokeStyle = STATUS_COLORS.pending;
  ctx.stroke();
  let angle = -Math.PI / 2;
  const total = Math.max(1, c.total);
  const segment = (count: number, color: string): void => {
    if (count <= 0) return;
    const sweep = (count / total) * Math.PI * 2;
    ctx.beginPath();
    ctx.arc(p.x, p.y, ringR, angle, angle + sweep);
    ctx.strokeStyle = color;
    ctx.stroke();
    angle += sweep;
  };
  segment(c.cached, CACHED_COLOR);
  segment(c.succeeded - c.cached, ringColor('succeeded'));
  segment(c.running + c.dispatched, ringColor('running'));
  for (const k of ['failed', 'skipped', 'cancelled', 'queued'] as const) segment(c[k], ringColor(k));

  // Text stays readable at any zoom: drawn at a fixed on-screen size, and left out when the node is tiny.
  if (r * scale < 9) return;
  ctx.fillStyle = '#d8deeb';
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  ctx.font = `600 ${12 / scale}px system-ui, sans-serif`;
  ctx.fillText(compact(c.total), p.x, p.y);
  ctx.font = `${11 / scale}px system-ui, sans-serif`;
  ctx.fillStyle = '#8b94aa';
  ctx.fillText(group.key, p.x, p.y + ringR + 10 / scale);
}

/** A labelled function (small DAGs): a pill in its state's colour with its id, ringed in its group's colour. */
export function drawPill(
  ctx: CanvasRenderingContext2D,
  id: string,
  p: Point,
  r: number,
  fill: string,
  ring: string,
): void {
  const w = 64;
  ctx.beginPath();
  ctx.roundRect(p.x - w / 2, p.y - r, w, 2 * r, 6);
  ctx.fillStyle = fill;
  ctx.fill();
  ctx.lineWidth = 1.5;
  ctx.strokeStyle = ring;
  ctx.stroke();
  ctx.fillStyle = fill === STATUS_COLORS.pending ? '#8b94aa' : '#0b0e16';
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  ctx.font = '600 10px system-ui, sans-serif';
  ctx.fillText(id.length > 9 ? `${id.slice(0, 8)}…` : id, p.x, p.y);
}

/** `12345` → `12.3k`. */
function compact(n: number): string {
  return n < 1000 ? String(n) : `${(n / 1000).toFixed(n < 10_000 ? 1 : 0)}k`;
}
