/** Page object for demo/dashboard.html. */
import type { Locator, Page } from 'playwright-core';

export class DashboardPage {
  readonly graphNodes: Locator;
  readonly streamBars: Locator;
  readonly streamLanes: Locator;
  readonly percent: Locator;
  readonly peerRows: Locator;
  readonly showcaseImage: Locator;

  constructor(
    readonly page: Page,
    private readonly baseUrl: string,
  ) {
    this.graphNodes = page.locator('#graph .graph-node');
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

  /** Status of every graph node, by function id. */
  nodeStatuses(): Promise<Record<string, string>> {
    return this.graphNodes.evaluateAll((els) =>
      Object.fromEntries(
        els.map((el) => [el.getAttribute('data-id') ?? '', el.getAttribute('data-status') ?? '']),
      ),
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
