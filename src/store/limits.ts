import type { RetentionStatus } from './retention.js';

/**
 * How full the in-memory store is. `high` from 80 % of a bound, `full` once a bound is reached or a batch
 * was refused for it; either lasts until usage falls back under 80 % (retention dropping hours), so
 * the state and its log lines change once per crossing, not with every batch.
 */
export interface CapacityStatus {
  state: 'ok' | 'high' | 'full';
  flows: number;
  max_flows: number;
  /** Estimated bytes of the distinct names held (see capacity.ts). */
  name_bytes: number;
  max_name_bytes: number;
}

/** What a backend reports about its bounds, for `/ready` and `/metrics`; each part only where it applies. */
export interface LimitsReport {
  capacity?: CapacityStatus;
  retention?: RetentionStatus;
}

export interface StoreLimits {
  limits(): LimitsReport;
}
