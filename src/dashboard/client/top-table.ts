import type { Dimension, Metric, Sums, TopAnswer } from './api.js';
import { element } from './dom.js';
import type { Exact } from './exact-json.js';
import { formatBytes, formatInteger, formatShare } from './format.js';

const DIMENSION_LABELS: Record<Dimension, string> = {
  src_app: 'source app',
  dest_app: 'destination app',
  vpc_id: 'VPC',
  hour: 'hour',
};
const METRIC_COLUMNS: { metric: Metric; label: string }[] = [
  { metric: 'bytes', label: 'bytes' },
  { metric: 'bytes_tx', label: 'sent (tx)' },
  { metric: 'bytes_rx', label: 'received (rx)' },
];

const FLOW_HOURS = 'one per flow per hour it was seen in; over a one-hour range, the distinct flows';

/**
 * The top talkers: one row per group, then the `other` row and the total. Every number cell carries its
 * exact value in `data-value`; its text is the value in SI units, and the exact figure in its title.
 */
export function renderTopTable(table: HTMLTableElement, answer: TopAnswer): void {
  const head = element('tr');
  head.append(element('th', '#', { scope: 'col' }));
  for (const dimension of answer.by) head.append(element('th', DIMENSION_LABELS[dimension], { scope: 'col' }));
  for (const { metric, label } of METRIC_COLUMNS) {
    const sorted = metric === answer.metric;
    const attributes: Record<string, string> = { scope: 'col', class: `num${sorted ? ' sorted' : ''}` };
    if (sorted) attributes['aria-sort'] = 'descending';
    head.append(element('th', sorted ? `${label} ▼` : label, attributes));
  }
  head.append(element('th', 'flow-hours', { scope: 'col', class: 'num', title: FLOW_HOURS }));
  head.append(element('th', 'share', { scope: 'col', class: 'num share' }));
  table.tHead?.replaceChildren(head);

  const totalOfMetric = answer.total[answer.metric];
  const rows = answer.rows.map((row, index) => {
    const tr = element('tr');
    tr.append(element('td', String(index + 1), { class: 'rank' }));
    for (const dimension of answer.by) {
      const name = String(row[dimension] ?? '');
      tr.append(element('td', name, { class: 'name', title: name }));
    }
    appendSums(tr, row, answer.metric, totalOfMetric);
    return tr;
  });
  if (rows.length === 0) {
    const empty = element('td', 'No flows in this range.', { colspan: String(answer.by.length + 6), class: 'empty' });
    rows.push(element('tr'));
    rows[0].append(empty);
  }
  table.tBodies[0].replaceChildren(...rows);

  const footer = [
    summaryRow('other', `other (${formatInteger(answer.other.groups)} groups)`, answer, answer.other),
    summaryRow('total', `total (${formatInteger(answer.total.groups)} groups)`, answer, answer.total),
  ];
  table.tFoot?.replaceChildren(...footer);
}

function summaryRow(kind: string, label: string, answer: TopAnswer, sums: Sums): HTMLTableRowElement {
  const tr = element('tr', undefined, { class: kind });
  tr.append(element('th', label, { scope: 'row', colspan: String(answer.by.length + 1) }));
  appendSums(tr, sums, answer.metric, answer.total[answer.metric]);
  return tr;
}

function appendSums(tr: HTMLTableRowElement, sums: Sums, metric: Metric, totalOfMetric: Exact): void {
  for (const column of METRIC_COLUMNS) {
    const value = sums[column.metric];
    tr.append(numberCell(formatBytes(value), value, column.metric, column.metric === metric));
  }
  tr.append(numberCell(formatInteger(sums.flows), sums.flows, 'flows', false));
  tr.append(element('td', formatShare(sums[metric], totalOfMetric), { class: 'num share' }));
}

function numberCell(text: string, value: Exact, field: string, sorted: boolean): HTMLTableCellElement {
  return element('td', text, {
    class: sorted ? 'num sorted' : 'num',
    'data-field': field,
    'data-value': String(value),
    title: formatInteger(value),
  });
}
