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

interface DashboardHandle {
  graph: { scene(): GraphNode[] };
}

export class DashboardPage {
  readonly graph: Locator;
  readonly streamBars: Locator;
  readonly streamLanes: Locator;
  readonly percent: Locator;
  readonly peerRows: Locator;
  readonly showcaseImage: Locator;

  constructor(
    readonly page: Page,
    private readonly baseUrl: string,
  ) {
    this.graph = page.locator('#graph canvas');
    this.streamBars = page.locator('#task-stream rect.bar');
    this.streamLanes = page.locator('#task-stream g.lane');
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
    await this.page.locator(`#task-stream rect.bar[data-id="${id}"]`).first().click({ force: true });
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

  /** The task stream's bars: function id, lane, outcome and drawn width in pixels. */
  bars(): Promise<Array<{ id: string; lane: string; outcome: string; width: number }>> {
    return this.streamBars.evaluateAll((els) =>
      els.map((el) => ({
        id: el.getAttribute('data-id') ?? '',
        lane: el.getAttribute('data-lane') ?? '',
        outcome: el.getAttribute('data-outcome') ?? '',
        width: el.getBoundingClientRect().width,
      })),
    );
  }
}
