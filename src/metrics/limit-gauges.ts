import { Counter, Gauge, type Registry } from 'prom-client';
import type { StoreLimits } from '../store/limits.js';

const CAPACITY_STATES = { ok: 0, high: 1, full: 2 } as const;

/**
 * Retention and the in-memory bounds, read from the store at each scrape. Only what the backend reports
 * is registered (capacity: in-memory; retention: when RETENTION_HOURS is set), so an absent metric means
 * "does not apply", never a misleading 0.
 */
export function limitGauges(registry: Registry, limits: StoreLimits): void {
  const registers = [registry];
  const initial = limits.limits();
  const capacity = () => limits.limits().capacity;
  const retention = () => limits.limits().retention;
  if (initial.capacity) {
    gauge(
      registry,
      'flows_max',
      'MAX_FLOWS: distinct (flow, hour) totals the in-memory store may hold',
      () => capacity()?.max_flows,
    );
    gauge(
      registry,
      'flows_name_bytes',
      'Estimated bytes of the distinct names the in-memory store holds',
      () => capacity()?.name_bytes,
    );
    gauge(
      registry,
      'flows_max_name_bytes',
      'MAX_NAME_BYTES: the bound on flows_name_bytes',
      () => capacity()?.max_name_bytes,
    );
    gauge(registry, 'flows_capacity_state', 'In-memory store: 0 under 80 % of its bounds, 1 from 80 %, 2 full', () => {
      const state = capacity()?.state;
      return state === undefined ? undefined : CAPACITY_STATES[state];
    });
  }
  if (initial.retention) {
    gauge(
      registry,
      'flows_retention_newest_hour',
      'Newest hour of an accepted batch (retention counts back from it)',
      () => retention()?.newest_hour,
    );
    gauge(
      registry,
      'flows_retention_oldest_hour',
      'Oldest hour kept; older hours are dropped and refused',
      () => retention()?.oldest_hour_kept,
    );
    new Counter({
      name: 'flows_retention_expired_total',
      help: 'Flow totals dropped by retention (in memory: flows of dropped hours; PostgreSQL: rows deleted by this instance)',
      registers,
      collect() {
        this.reset();
        this.inc(retention()?.expired_total ?? 0);
      },
    });
  }
}

/** A gauge read at scrape time; NaN while the value is unknown (null: no hour seen yet), which graphs show as a gap. */
function gauge(registry: Registry, name: string, help: string, read: () => number | null | undefined): void {
  new Gauge({
    name,
    help,
    registers: [registry],
    collect() {
      this.set(read() ?? Number.NaN);
    },
  });
}
