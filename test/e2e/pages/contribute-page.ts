/** Page object for demo/contribute.html. */
import type { Page } from 'playwright-core';

export class ContributePage {
  constructor(
    readonly page: Page,
    private readonly baseUrl: string,
  ) {}

  async open(query = ''): Promise<void> {
    await this.page.goto(`${this.baseUrl}/contribute.html${query}`);
    await this.page.waitForSelector('body[data-ready="true"]');
  }

  async reload(): Promise<void> {
    await this.page.reload();
    await this.page.waitForSelector('body[data-ready="true"]');
  }

  async capabilities(): Promise<{ cores: string; memory: string; gpu: string; speed: string }> {
    const text = async (id: string) => (await this.page.locator(`#${id}`).textContent()) ?? '';
    return {
      cores: await text('cap-cores'),
      memory: await text('cap-memory'),
      gpu: await text('cap-gpu'),
      speed: await text('cap-speed'),
    };
  }

  async waitForCalibration(): Promise<void> {
    await this.page.waitForSelector('body[data-calibrated="true"]', { timeout: 20_000 });
  }

  /** Runs the page's sample DAG on its workers and cache; returns how many functions came from the cache. */
  async runSample(): Promise<{ status: string; cached: number }> {
    await this.page.evaluate(() => {
      delete document.body.dataset.practiceStatus;
    });
    await this.page.click('#practice');
    await this.page.waitForSelector('body[data-practice-status]', { timeout: 45_000 });
    return {
      status: (await this.page.getAttribute('body', 'data-practice-status')) ?? '',
      cached: Number(await this.page.getAttribute('body', 'data-practice-cached')),
    };
  }

  /** Waits until the page joined a mesh (a peer id other than `not`, e.g. the id before a reload) and returns its id. */
  async waitForJoin(not?: string, timeoutMs = 30_000): Promise<string> {
    await this.page.waitForFunction(
      (previous) => {
        const id = document.body.dataset.peerId;
        return id !== undefined && id !== previous && document.body.dataset.connection === 'connected';
      },
      not,
      { timeout: timeoutMs },
    );
    return (await this.page.getAttribute('body', 'data-peer-id')) ?? '';
  }

  /** Functions this page's workers finished (mesh work included). */
  async finished(): Promise<number> {
    return Number(await this.page.getAttribute('body', 'data-finished'));
  }

  /** What the page says about the other members of its mesh. */
  async meshPeersText(): Promise<string> {
    return (await this.page.locator('#mesh-peers').textContent()) ?? '';
  }

  async cacheEntries(): Promise<number> {
    return Number(await this.page.getAttribute('body', 'data-cache-entries'));
  }

  async counters(): Promise<{ running: number; finished: number; cached: number }> {
    const n = async (id: string) => Number(await this.page.locator(`#${id}`).textContent());
    return {
      running: await n('count-running'),
      finished: await n('count-finished'),
      cached: await n('count-cache'),
    };
  }
}
