/** What every benchmark module returns, so `pnpm bench` can print and collect them uniformly. */
export interface BenchResult {
  /** Short kebab-case name, e.g. `validate-100k`. */
  readonly name: string;
  /** Numbers worth tracking over time; units in the key (`validateMs`, `functionsPerSecond`). */
  readonly metrics: Record<string, number>;
  /** One Markdown line for the summary table. */
  readonly summary: string;
}
