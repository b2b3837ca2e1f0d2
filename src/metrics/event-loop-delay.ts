import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Gauge, type Registry } from 'prom-client';

const FIGURES = {
  min: 'The minimum recorded event loop delay.',
  max: 'The maximum recorded event loop delay.',
  mean: 'The mean of the recorded event loop delays.',
  stddev: 'The standard deviation of the recorded event loop delays.',
  p50: 'The 50th percentile of the recorded event loop delays.',
  p90: 'The 90th percentile of the recorded event loop delays.',
  p99: 'The 99th percentile of the recorded event loop delays.',
};
type Figure = keyof typeof FIGURES;

/**
 * Replaces prom-client's `nodejs_eventloop_lag_{min,max,mean,...}_seconds`, which report the delays since
 * the previous scrape and show NaN (and a minimum of 2^63 ns) when that span held no sample: right after
 * start, or for two scrapes within the 10 ms sampling resolution. Same names and meaning, but a span
 * without a sample keeps the previous figures (0 before the first one).
 */
export function registerEventLoopDelay(registry: Registry): void {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  const gauges = {} as Record<Figure, Gauge>;
  // One collect sets them all, as prom-client's does, so the figures describe the same span.
  const collect = () => {
    if (histogram.count === 0) return;
    gauges.min.set(histogram.min / 1e9);
    gauges.max.set(histogram.max / 1e9);
    gauges.mean.set(histogram.mean / 1e9);
    gauges.stddev.set(histogram.stddev / 1e9);
    gauges.p50.set(histogram.percentile(50) / 1e9);
    gauges.p90.set(histogram.percentile(90) / 1e9);
    gauges.p99.set(histogram.percentile(99) / 1e9);
    histogram.reset();
  };
  for (const [figure, help] of Object.entries(FIGURES) as [Figure, string][]) {
    const name = `nodejs_eventloop_lag_${figure}_seconds`;
    registry.removeSingleMetric(name);
    gauges[figure] = new Gauge({ name, help, registers: [registry], ...(figure === 'min' ? { collect } : {}) });
  }
}
