import { stringifyExact } from './exact-json.js';

const HEIGHT = 240;

/**
 * A uPlot chart that fills its container's width and follows it (laptop, phone, rotation). The data it
 * draws is also written to the container's `data-series` attribute (exact integers), for tests and tools.
 */
export class Chart {
  #plot: UPlotInstance | undefined;
  #shape = '';

  constructor(private readonly container: HTMLElement) {
    new ResizeObserver(() => this.#plot?.setSize({ width: this.#width(), height: HEIGHT })).observe(container);
  }

  /**
   * Draws `data`. The chart is built anew only when `shape` (what the options depend on, say whether hours
   * are dates) changes; otherwise only its data is replaced, which keeps a refresh cheap.
   */
  draw(shape: string, options: () => Omit<UPlotOptions, 'width' | 'height'>, data: UPlotInstance['data']): void {
    if (this.#plot && shape === this.#shape) {
      this.#plot.setData(data);
      return;
    }
    this.#plot?.destroy();
    this.#shape = shape;
    this.#plot = new uPlot({ ...options(), width: this.#width(), height: HEIGHT }, data, this.container);
  }

  /** What the chart shows, exactly, as JSON in `data-series`. */
  describe(series: unknown): void {
    this.container.dataset.series = stringifyExact(series);
  }

  #width(): number {
    return Math.max(200, this.container.clientWidth);
  }
}

/** uPlot's `tzDate` option: axis labels and legend in UTC, whatever the browser's zone. */
export function utc(seconds: number): Date {
  return uPlot.tzDate(new Date(seconds * 1000), 'Etc/UTC');
}

/** Time axis labels: `16:00`, the date (`11-21`) at midnight UTC, and seconds when ticks are that close. */
export function timeTicks(_u: UPlotInstance, splits: number[]): string[] {
  const seconds = splits.length > 1 && splits[1] - splits[0] < 60;
  return splits.map((split) => {
    const iso = new Date(split * 1000).toISOString();
    if (seconds) return iso.slice(11, 19);
    return iso.slice(11, 16) === '00:00' ? iso.slice(5, 10) : iso.slice(11, 16);
  });
}
