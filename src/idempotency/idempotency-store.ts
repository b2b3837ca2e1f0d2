/** The response a first request got, replayed verbatim to its repeats. */
export interface StoredResponse {
  statusCode: number;
  /** The serialized JSON body. */
  payload: string;
}

export interface IdempotencyOutcome {
  /** SHA-256 (hex) of the request body as parsed and re-serialized, so a different batch is told apart. */
  bodyHash: string;
  response: StoredResponse;
}

/**
 * What a request with an Idempotency-Key carries into `FlowStore.ingest`. `key` is already scoped to
 * the caller (API key id, or "-" when authentication is off), so two tenants never share a key.
 */
export interface IdempotencyTicket {
  key: string;
  bodyHash: string;
  /** Epoch milliseconds after which the key may be forgotten and reused. */
  expiresAt: number;
}

/**
 * Completed idempotent requests. Requests still in flight are tracked per instance by the plugin;
 * a store shared by several instances detects a concurrent one through its own transaction instead.
 */
export interface IdempotencyStore {
  /** The recorded outcome for `key`, unless none was recorded or it has expired. */
  get(key: string): Promise<IdempotencyOutcome | undefined>;
  /**
   * Records a completed request's outcome before its response is sent. A store that already wrote the
   * ticket in the batch's transaction may do nothing here.
   */
  put(ticket: IdempotencyTicket, outcome: IdempotencyOutcome): Promise<void>;
}
