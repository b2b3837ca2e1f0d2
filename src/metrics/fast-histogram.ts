import type { Metric, Registry } from 'prom-client';

type Labels<L extends string> = Record<L, string | number>;

/** One label set's buckets. `observe` is a bucket search and three additions: no hashing, no allocation. */
export class Series {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(
    readonly labels: Readonly<Record<string, string | number>>,
    private readonly bounds: readonly number[],
  ) {
    this.counts = new Float64Array(bounds.length);
  }

  observe(value: number): void {
    const { bounds } = this;
    let i = 0;
    while (i < bounds.length && value > bounds[i]) i++;
    if (i < bounds.length) this.counts[i]++;
    this.sum += value;
    this.count++;
  }
}

/**
 * A Prometheus histogram for what every request observes. prom-client's `Histogram.observe` hashes
 * its label object into a string key on every call (over a microsecond a request, and its
 * megamorphic property accesses slowed Node's own stream code down too); here a label set is looked
 * up once (`series`) and observed directly. It registers in a prom-client registry and is written
 * out exactly as a prom-client histogram (`_bucket{le}`, `_sum`, `_count`), so /metrics cannot tell.
 */
export class FastHistogram<L extends string = never> {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly #series = new Map<string, Series>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly L[],
    readonly buckets: readonly number[],
    registry: Registry,
  ) {
    // A custom collector to the registry: it calls `get` / `getForPromString` and `reset`, nothing else.
    registry.registerMetric(this as unknown as Metric);
  }

  /** The series of one label set, created on first use; keep it, and observe on it. */
  series(labels: Labels<L>): Series {
    const key = this.labelNames.map((name) => String(labels[name])).join('\u0000');
    let series = this.#series.get(key);
    if (!series) {
      series = new Series({ ...labels }, this.buckets);
      this.#series.set(key, series);
    }
    return series;
  }

  reset(): void {
    for (const series of this.#series.values()) {
      series.counts.fill(0);
      series.sum = 0;
      series.count = 0;
    }
  }

  /** What prom-client's Histogram gives the registry for the text format: `le` first, then the labels. */
  async getForPromString() {
    const values = [];
    for (const series of this.#series.values()) {
      const sharedLabels = series.labels;
      let cumulative = 0;
      for (const [i, le] of this.buckets.entries()) {
        cumulative += series.counts[i];
        values.push({ labels: { le }, sharedLabels, value: cumulative, metricName: `${this.name}_bucket` });
      }
      values.push(
        { labels: { le: '+Inf' }, sharedLabels, value: series.count, metricName: `${this.name}_bucket` },
        { labels: {}, sharedLabels, value: series.sum, metricName: `${this.name}_sum` },
        { labels: {}, sharedLabels, value: series.count, metricName: `${this.name}_count` },
      );
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  /** The JSON form (`registry.getMetricsAsJSON`): labels merged, as prom-client does. */
  async get() {
    const metric = await this.getForPromString();
    const values = metric.values.map(({ labels, sharedLabels, value, metricName }) => ({
      labels: { ...sharedLabels, ...labels },
      value,
      metricName,
    }));
    return { ...metric, values };
  }
}
