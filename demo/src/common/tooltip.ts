/**
 * One tooltip for a page: a positioned box that follows the pointer, shown at once (native SVG `<title>`s wait a
 * second, cannot be styled and do not exist on a canvas). Text only: the lines are set with `textContent`, so a
 * function id or an error message from a peer can never become markup.
 */
import { h } from './dom.js';

export interface Tooltip {
  /** Shows `lines` (the first in bold) near the viewport point (x, y). */
  show(lines: readonly string[], x: number, y: number): void;
  hide(): void;
}

let shared: Tooltip | undefined;

export function pageTooltip(): Tooltip {
  if (shared) return shared;
  const box = h('div', { class: 'tooltip', role: 'tooltip', hidden: true });
  document.body.append(box);
  shared = {
    show(lines, x, y) {
      box.replaceChildren(...lines.map((line, i) => h(i === 0 ? 'strong' : 'div', {}, line)));
      box.hidden = false;
      // Keep it on screen: flip to the left or above the pointer near the right or bottom edge.
      const { width, height } = box.getBoundingClientRect();
      const left = x + 14 + width > window.innerWidth ? x - 14 - width : x + 14;
      const top = y + 14 + height > window.innerHeight ? y - 10 - height : y + 14;
      box.style.transform = `translate(${Math.max(4, left)}px, ${Math.max(4, top)}px)`;
    },
    hide() {
      box.hidden = true;
    },
  };
  return shared;
}
