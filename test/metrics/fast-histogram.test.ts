import { Histogram, Registry } from 'prom-client';
import { describe, expect, test } from 'vitest';
import { FastHistogram } from '../../src/metrics/fast-histogram.js';

const buckets = [0.001, 0.01, 0.1, 1];
const observations: [Record<'route' | 'status_code', string | number>, number][] = [
  [{ route: '/flows', status_code: 200 }, 0.0005],
  [{ route: '/flows', status_code: 200 }, 0.001],
  [{ route: '/flows', status_code: 200 }, 0.05],
  [{ route: '/flows', status_code: 400 }, 2],
  [{ route: 'unmatched', status_code: 404 }, 0.02],
];

/** The same observations in a prom-client Histogram and in a FastHistogram, each in its own registry. */
function both() {
  const reference = new Registry();
  const fast = new Registry();
  const labelNames = ['route', 'status_code'] as const;
  const histogram = new Histogram({ name: 'h', help: 'help', labelNames, buckets, registers: [reference] });
  const fastHistogram = new FastHistogram('h', 'help', labelNames, buckets, fast);
  for (const [labels, value] of observations) {
    histogram.observe(labels, value);
    fastHistogram.series(labels).observe(value);
  }
  return { reference, fast, histogram, fastHistogram };
}

describe('FastHistogram', () => {
  test('/metrics text is exactly what prom-client writes for the same observations', async () => {
    const { reference, fast } = both();
    expect(await fast.metrics()).toBe(await reference.metrics());
  });

  test('the JSON form has the same samples (prom-client adds empty exemplars)', async () => {
    const { reference, fast } = both();
    const samples = (metrics: Awaited<ReturnType<Registry['getMetricsAsJSON']>>) =>
      metrics.map(({ values, ...metric }) => ({
        ...metric,
        values: (values as { labels: object; value: number; metricName?: string }[]).map(
          ({ labels, value, metricName }) => ({ labels, value, metricName }),
        ),
      }));
    expect(samples(await fast.getMetricsAsJSON())).toEqual(samples(await reference.getMetricsAsJSON()));
  });

  test('a label set is one series, however often it is looked up', async () => {
    const { fastHistogram } = both();
    expect(fastHistogram.series({ route: '/flows', status_code: 200 })).toBe(
      fastHistogram.series({ route: '/flows', status_code: 200 }),
    );
    expect(fastHistogram.series({ route: '/flows', status_code: 200 }).count).toBe(3);
  });

  test('reset zeroes every series, as the registry asks of its metrics', async () => {
    const { reference, fast } = both();
    reference.resetMetrics();
    fast.resetMetrics();
    const zeroed = await fast.metrics();
    expect(zeroed).toMatch(/^h_count\{route="\/flows",status_code="200"\} 0$/m);
    expect(zeroed).not.toMatch(/ [1-9]\d*$/m);
  });
});
