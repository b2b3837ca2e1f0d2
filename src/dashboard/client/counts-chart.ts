import type { MinuteCount } from './api.js';
import { Chart, timeTicks, utc } from './chart.js';
import { formatClock, formatInteger } from './format.js';

const LINE = '#059669';

/** Distinct flows per published minute (window), on a UTC time axis. */
export class CountsChart {
  readonly #chart: Chart;

  constructor(container: HTMLElement) {
    this.#chart = new Chart(container);
  }

  show(counts: MinuteCount[]): void {
    const x = counts.map((count) => Date.parse(count.minute) / 1000);
    const y = counts.map((count) => count.unique_flows);
    this.#chart.describe(counts.map((count) => ({ minute: count.minute, unique_flows: count.unique_flows })));
    this.#chart.draw('counts', options, [x, y]);
  }
}

function options(): Omit<UPlotOptions, 'width' | 'height'> {
  return {
    tzDate: utc,
    scales: { y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
    series: [
      { label: 'window', value: (_u, x) => (x === null ? '–' : `${formatClock(new Date(x * 1000))} UTC`) },
      {
        label: 'distinct flows',
        stroke: LINE,
        fill: `${LINE}22`,
        width: 2,
        value: (_u, value) => (value === null ? '–' : formatInteger(value)),
      },
    ],
    axes: [
      { values: timeTicks },
      { size: 64, values: (_u, splits) => splits.map((split) => formatInteger(Math.round(split))) },
    ],
  };
}
