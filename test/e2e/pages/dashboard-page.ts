/** Page object for demo/dashboard.html. */
import type { Locator, Page } from 'playwright-core';

/** One node the graph drew (demo/src/dashboard/graph/graph-view.ts `scene()`), at its place on the page. */
export interface GraphNode {
  readonly kind: 'function' | 'group';
  readonly key: string;
  readonly id?: string;
  readonly group: string;
  readonly status?: string;
  readonly count: number;
  readonly done?: number;
  readonly x: number;
  readonly y: number;
  readonly r: number;
}

/** One bar the task stream drew (demo/src/views/task-stream.ts `scene()`), at its place on the page. */
export interface StreamBar {
  readonly id: string;
  readonly lane: string;
  readonly attempt: number;
  readonly outcome: string;
  readonly cached: boolean;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

interface DashboardHandle {
  graph: { scene(): GraphNode[] };
  stream(): { lanes: string[]; bars: StreamBar[]; leadIns: Array<{ lane: string; ms: number }> } | undefined;
}

export class DashboardPage {
  readonly graph: Locator;
  /** The running-functions chart's host (its `data-peak`, `data-limit` say what it drew). */
  readonly resources: Locator;
  readonly detail: Locator;
  readonly counts: Locator;
  readonly runStatus: Locator;
  readonly percent: Locator;
  readonly peerRows: Locator;
  readonly showcaseImage: Locator;

  constructor(
    readonly page: Page,
    private readonly baseUrl: string,
  ) {
    this.graph = page.locator('#graph canvas');
    this.resources = page.locator('#resources');
    this.detail = page.locator('#detail');
    this.counts = page.getByTestId('progress-counts');
    this.runStatus = page.locator('#progress .run-status');
    this.percent = page.getByTestId('progress-percent');
    this.peerRows = page.locator('#peers tbody tr[data-peer]');
    this.showcaseImage = page.locator('#showcase .tile-canvas');
  }

  async open(query = ''): Promise<void> {
    await this.page.goto(`${this.baseUrl}/dashboard.html${query}`);
    await this.page.waitForSelector('body[data-ready="true"]');
  }

  async chooseDag(id: string): Promise<void> {
    await this.page.selectOption('#dag-select', id);
  }

  async run(): Promise<void> {
    await this.page.click('#run-button');
  }

  async cancel(): Promise<void> {
    await this.page.click('#cancel-button');
  }

  /** Waits until at least `n` functions of the shown run have succeeded. */
  async waitForSucceeded(n: number, timeoutMs = 30_000): Promise<void> {
    await this.page.waitForFunction(
      (wanted) => {
        type Handle = { current(): { model: { counts(): { succeeded: number } } } | undefined };
        const handle = (globalThis as unknown as { handout?: Handle }).handout;
        return (handle?.current()?.model.counts().succeeded ?? 0) >= wanted;
      },
      n,
      { timeout: timeoutMs },
    );
  }

  /** The per-group progress rows: group prefix → the counts the row shows. */
  groupRows(): Promise<Record<string, Record<string, number>>> {
    return this.page.locator('#groups .group-row').evaluateAll((rows) =>
      Object.fromEntries(
        rows.map((row) => {
          const d = (row as HTMLElement).dataset;
          const figures = ['succeeded', 'running', 'failed', 'skipped', 'cached', 'cancelled', 'total'];
          return [d.group ?? '', Object.fromEntries(figures.map((k) => [k, Number(d[k] ?? 0)]))];
        }),
      ),
    );
  }

  /** Starts recording requestAnimationFrame deltas (ms) in the page; `stopFrameTimes` returns them. */
  async startFrameTimes(): Promise<void> {
    await this.page.evaluate(() => {
      const w = globalThis as unknown as { frameTimes: number[]; frameTimesOn: boolean };
      w.frameTimes = [];
      w.frameTimesOn = true;
      let last = performance.now();
      const tick = (now: number): void => {
        w.frameTimes.push(now - last);
        last = now;
        if (w.frameTimesOn) requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    });
  }

  stopFrameTimes(): Promise<number[]> {
    return this.page.evaluate(() => {
      const w = globalThis as unknown as { frameTimes: number[]; frameTimesOn: boolean };
      w.frameTimesOn = false;
      return w.frameTimes.slice(1);
    });
  }

  async upload(name: string, contents: string): Promise<void> {
    await this.page.setInputFiles('#dag-file', {
      name,
      mimeType: 'text/plain',
      buffer: Buffer.from(contents),
    });
  }

  async message(): Promise<string> {
    return (await this.page.locator('#submit-message').textContent()) ?? '';
  }

  /** Waits for the run to end and returns its status (`succeeded`, `failed`, `cancelled`). */
  async waitForRunEnd(timeoutMs = 45_000): Promise<string> {
    await this.page.waitForFunction(
      () => ['succeeded', 'failed', 'cancelled'].includes(document.body.dataset.runStatus ?? ''),
      undefined,
      { timeout: timeoutMs },
    );
    return (await this.page.getAttribute('body', 'data-run-status')) ?? '';
  }

  /** What the graph canvas drew: every visible node (functions and collapsed groups) and where it is. */
  graphScene(): Promise<GraphNode[]> {
    return this.page.evaluate(() =>
      (globalThis as unknown as { handout: DashboardHandle }).handout.graph.scene(),
    );
  }

  /** Status of every function drawn as its own node in the graph, by function id. */
  async nodeStatuses(): Promise<Record<string, string>> {
    const scene = await this.graphScene();
    return Object.fromEntries(
      scene.filter((n) => n.kind === 'function').map((n) => [n.id ?? '', n.status ?? '']),
    );
  }

  /** The colour the canvas shows at a page point, as `r,g,b`. */
  async pixelAt(x: number, y: number): Promise<string> {
    return this.page.evaluate(
      ([px, py]) => {
        const canvas = document.querySelector('#graph canvas') as HTMLCanvasElement;
        const rect = canvas.getBoundingClientRect();
        const scale = canvas.width / rect.width;
        const data = canvas
          .getContext('2d')!
          .getImageData(
            Math.round((px! - rect.left) * scale),
            Math.round((py! - rect.top) * scale),
            1,
            1,
          ).data;
        return `${data[0]},${data[1]},${data[2]}`;
      },
      [x, y],
    );
  }

  /** Clicks a node of the graph where it is drawn, as a person would. */
  async clickNode(node: GraphNode): Promise<void> {
    await this.page.mouse.click(node.x, node.y);
  }

  /** Opens the detail of a function by clicking its bar in the task stream; waits for the panel. */
  async openDetailFromStream(id: string): Promise<void> {
    const bar = (await this.bars()).find((b) => b.id === id);
    if (!bar) throw new Error(`the task stream draws no bar of '${id}'`);
    await this.page.mouse.click(bar.x + bar.width / 2, bar.y + bar.height / 2);
    await this.page.waitForSelector(`#detail[data-id="${id}"]:not([hidden])`);
  }

  /** The attempts the detail panel lists: attempt number, peer (lane id), outcome and error text. */
  detailAttempts(): Promise<
    Array<{ attempt: number; lane: string; peer: string; outcome: string; error: string; stack: string }>
  > {
    return this.page.locator('#detail table.attempts tbody tr').evaluateAll((rows) =>
      rows.map((row) => ({
        attempt: Number(row.getAttribute('data-attempt')),
        lane: row.getAttribute('data-lane') ?? '',
        peer: row.children[1]?.textContent ?? '',
        outcome: row.getAttribute('data-outcome') ?? '',
        error: row.querySelector('.error-message')?.textContent ?? '',
        stack: row.querySelector('pre.stack')?.textContent ?? '',
      })),
    );
  }

  /** What the task stream drew: its lanes, a bar per attempt, and each lane's blank lead-in (ms). */
  async stream(): Promise<{
    lanes: string[];
    bars: StreamBar[];
    leadIns: Array<{ lane: string; ms: number }>;
  }> {
    const scene = await this.page.evaluate(() =>
      (globalThis as unknown as { handout: DashboardHandle }).handout.stream(),
    );
    return scene ?? { lanes: [], bars: [], leadIns: [] };
  }

  /** The task stream's bars: function id, lane, outcome and drawn width in pixels. */
  async bars(): Promise<StreamBar[]> {
    return (await this.stream()).bars;
  }

  async streamLaneCount(): Promise<number> {
    return (await this.stream()).lanes.length;
  }
}
