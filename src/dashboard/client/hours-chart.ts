import type { HourTotals } from './api.js';
import { Chart, timeTicks, utc } from './chart.js';
import { formatBytes, formatHour, looksLikeEpochHours } from './format.js';
import type { ResolvedRange } from './latest-hours.js';

const TX = '#2563eb';
const RX = '#ea580c';

/** Bytes sent and received per hour over the range, as bars side by side; hours without flows are 0. */
export class HoursChart {
  readonly #chart: Chart;

  constructor(container: HTMLElement) {
    this.#chart = new Chart(container);
  }

  show(range: ResolvedRange): void {
    const epoch = looksLikeEpochHours(range.from);
    const byHour = new Map<number, HourTotals>(range.hours.map((entry) => [entry.hour, entry]));
    const x: number[] = [];
    const tx: number[] = [];
    const rx: number[] = [];
    for (let hour = range.from; hour <= range.to; hour++) {
      x.push(epoch ? hour * 3600 : hour);
      tx.push(Number(byHour.get(hour)?.bytes_tx ?? 0));
      rx.push(Number(byHour.get(hour)?.bytes_rx ?? 0));
    }
    this.#chart.describe(range.hours);
    this.#chart.draw(`epoch:${epoch}`, () => options(epoch), [x, tx, rx]);
  }
}

function options(epoch: boolean): Omit<UPlotOptions, 'width' | 'height'> {
  const bars = (align: -1 | 1) => uPlot.paths.bars?.({ size: [0.4, 48], align });
  const bytes = (_u: UPlotInstance, value: number | null) => (value === null ? '–' : formatBytes(value));
  const step = epoch ? 3600 : 1;
  return {
    ...(epoch ? { tzDate: utc } : {}),
    scales: {
      // The range's hours with half an hour of room on each side, so the edge bars are not cut in half. Taken
      // from the data, not from uPlot's proposal, which pads a single hour to a whole day (or to 0..2h).
      x: { time: epoch, range: (u) => [(u.data[0].at(0) ?? 0) - step / 2, (u.data[0].at(-1) ?? 0) + step / 2] },
      y: { range: (_u, _min, max) => [0, Math.max(1, max)] },
    },
    series: [
      { label: 'hour', value: (_u, x) => (x === null ? '–' : formatHour(epoch ? x / 3600 : x, epoch)) },
      { label: 'sent (tx)', stroke: TX, fill: `${TX}cc`, paths: bars(-1), points: { show: false }, value: bytes },
      { label: 'received (rx)', stroke: RX, fill: `${RX}cc`, paths: bars(1), points: { show: false }, value: bytes },
    ],
    axes: [
      {
        // Ticks on whole hours only.
        incrs: epoch ? [1, 2, 3, 6, 12, 24, 48, 168].map((hours) => hours * 3600) : [1, 2, 5, 10, 20, 50, 100, 200],
        values: epoch ? timeTicks : (_u, splits) => splits.map(String),
      },
      { size: 72, values: (_u, splits) => splits.map((split) => formatBytes(split)) },
    ],
  };
}
