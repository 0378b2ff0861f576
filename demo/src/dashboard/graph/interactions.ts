/**
 * Pointer handling of a zoomable, pannable canvas: wheel zoom at the pointer, drag to pan, a press that barely
 * moves is a click.
 */

export interface Interactions {
  redraw(): void;
  click(clientX: number, clientY: number): void;
  hover(clientX: number, clientY: number): void;
  /** The pointer left the canvas. */
  leave(): void;
}

/** Wheel zoom at the pointer, drag to pan; a press that barely moved is a click. */
export function wireInteractions(
  canvas: HTMLCanvasElement,
  view: { k: number; tx: number; ty: number },
  on: Interactions,
): void {
  canvas.addEventListener(
    'wheel',
    (event) => {
      event.preventDefault();
      const rect = canvas.getBoundingClientRect();
      const mx = event.clientX - rect.left;
      const my = event.clientY - rect.top;
      const k = Math.min(12, Math.max(0.01, view.k * Math.exp(-event.deltaY * 0.0015)));
      view.tx = mx - ((mx - view.tx) * k) / view.k;
      view.ty = my - ((my - view.ty) * k) / view.k;
      view.k = k;
      on.redraw();
    },
    { passive: false },
  );
  let drag: { x: number; y: number; tx: number; ty: number; moved: boolean } | undefined;
  canvas.addEventListener('pointerdown', (event) => {
    drag = { x: event.clientX, y: event.clientY, tx: view.tx, ty: view.ty, moved: false };
    canvas.setPointerCapture(event.pointerId);
  });
  canvas.addEventListener('pointermove', (event) => {
    if (!drag) return on.hover(event.clientX, event.clientY);
    const dx = event.clientX - drag.x;
    const dy = event.clientY - drag.y;
    if (Math.hypot(dx, dy) > 4) drag.moved = true;
    if (!drag.moved) return;
    view.tx = drag.tx + dx;
    view.ty = drag.ty + dy;
    on.redraw();
  });
  canvas.addEventListener('pointerup', (event) => {
    const wasClick = drag && !drag.moved;
    drag = undefined;
    if (wasClick) on.click(event.clientX, event.clientY);
  });
  canvas.addEventListener('pointerleave', () => on.leave());
}
