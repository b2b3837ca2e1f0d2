import createError from '@fastify/error';
import type { FlowKey } from './schemas/flow.js';

/**
 * A base for errors that always carry the same HTTP headers (like Retry-After), so a thrower cannot
 * forget them; the error handler sends an error's `headers`.
 */
function withHeaders(headers: Readonly<Record<string, string>>): ErrorConstructor {
  // On the prototype: @fastify/error builds its errors on Base.prototype without calling Base.
  class ErrorWithHeaders extends Error {}
  Object.defineProperty(ErrorWithHeaders.prototype, 'headers', { value: headers });
  return ErrorWithHeaders as ErrorConstructor;
}

/** Seconds a client is asked to wait before retrying while the store is unreachable. */
const STORE_RETRY_AFTER = { 'retry-after': '2' };

export const TotalOverflowError = createError<[string]>(
  'FLOWS_ERR_TOTAL_OVERFLOW',
  'batch rejected: %s would pass 2^53-1 bytes; nothing of the batch was applied',
  422,
);
/** The overflow rejection naming its flow, worded the same by both stores; "a flow" when unknown. */
export function totalOverflow(flow?: FlowKey): Error {
  if (!flow) return new TotalOverflowError('a flow');
  const { src_app, dest_app, vpc_id, hour } = flow;
  return new TotalOverflowError(`flow ${JSON.stringify({ src_app, dest_app, vpc_id, hour })}`);
}
export const ValidationError = createError<[string]>('FLOWS_ERR_VALIDATION', '%s', 400);
export const NotFoundError = createError<[string]>('FLOWS_ERR_NOT_FOUND', '%s', 404);
/** A known path asked with another method; the handler sends `Allow` with the methods it has. */
export const MethodNotAllowedError = createError<[method: string, path: string, allowed: string]>(
  'FLOWS_ERR_METHOD_NOT_ALLOWED',
  '%s is not allowed on %s; use %s',
  405,
);
export const InternalError = createError('FLOWS_ERR_INTERNAL', 'internal server error', 500);
export const TooManyRecordsError = createError<[number]>(
  'FLOWS_ERR_TOO_MANY_RECORDS',
  'batch has more than %d records; split it into smaller batches',
  413,
);
/**
 * The store cannot be reached; the client should retry after Retry-After. The cause is logged, never sent.
 * Said of reads too, so the message makes no claim about writes (the README does: none was applied).
 */
export const StoreUnavailableError = createError<[reason: string, options?: { cause: unknown }]>(
  'FLOWS_ERR_STORE_UNAVAILABLE',
  'the flow store is unavailable (%s); retry later',
  503,
  withHeaders(STORE_RETRY_AFTER),
);
/** One message for a missing, malformed or unknown key, so a caller learns nothing about which keys exist. */
export const UnauthorizedError = createError('FLOWS_ERR_UNAUTHORIZED', 'missing or invalid API key', 401);
export const ForbiddenError = createError<[string]>('FLOWS_ERR_FORBIDDEN', 'this API key lacks the "%s" scope', 403);
export const RateLimitedError = createError<[string]>(
  'FLOWS_ERR_RATE_LIMITED',
  'rate limit exceeded, retry in %s',
  429,
);
export const OverloadedError = createError('FLOWS_ERR_OVERLOADED', 'the service is overloaded; retry later', 503);
/** Too many large answers are held for slow readers at once (the in-memory store's snapshot bound). */
export const AnswersBusyError = createError(
  'FLOWS_ERR_OVERLOADED',
  'too many large answers are being sent to slow readers; retry later',
  503,
  withHeaders({ 'retry-after': '5' }),
);
export const IdempotencyKeyInvalidError = createError(
  'FLOWS_ERR_IDEMPOTENCY_KEY_INVALID',
  'Idempotency-Key must be 1 to 255 printable ASCII characters',
  400,
);
export const IdempotencyMismatchError = createError(
  'FLOWS_ERR_IDEMPOTENCY_MISMATCH',
  'this Idempotency-Key was used with a different body; use a new key for a new batch',
  422,
);
/** Another instance holds the key in an open transaction; a retry gets the stored response. */
export const IdempotencyInFlightError = createError(
  'FLOWS_ERR_IDEMPOTENCY_IN_FLIGHT',
  'a request with this Idempotency-Key is still being applied; retry later to get its response',
  409,
);
/** The connection died after COMMIT was sent and did not come back in time to learn the outcome. */
export const CommitUnknownError = createError<[string]>(
  'FLOWS_ERR_COMMIT_UNKNOWN',
  'the database connection was lost while committing (%s); the batch may or may not be applied, check before resending',
  503,
  withHeaders(STORE_RETRY_AFTER),
);

// Retention and the in-memory bound (issue 13).
/** A record for an hour that retention has dropped (or would drop once the batch is applied). */
export const HourExpiredError = createError<[number, number, number, number, number]>(
  'FLOWS_ERR_HOUR_EXPIRED',
  'record %d: hour %d has expired: the oldest hour kept is %d (the newest hour %d minus RETENTION_HOURS=%d); nothing of the batch was applied',
  422,
);
/**
 * The in-memory store is full. 507, not 503: retrying soon does not help (only retention dropping an hour,
 * or an operator raising the bound, does), so no Retry-After invites clients to hammer it.
 */
export const CapacityError = createError<[string]>(
  'FLOWS_ERR_CAPACITY',
  'the in-memory store is full: %s; nothing of the batch was applied. Batches for flows already held are still accepted; raise the bound (with the memory for it) or set a shorter RETENTION_HOURS',
  507,
);

// DATA_DIR (in-memory store with a write-ahead log).

/** Seconds a client is asked to wait while DATA_DIR cannot be written (a disk filling up is not fixed at once). */
const LOG_RETRY_AFTER = { 'retry-after': '10' };
/**
 * The batch could not be made durable in DATA_DIR (disk full, I/O error): it was taken back out of memory,
 * so a retry counts it once. `reason` names the condition, never a path.
 */
export const LogWriteFailedError = createError<[reason: string, options?: { cause: unknown }]>(
  'FLOWS_ERR_LOG_WRITE_FAILED',
  'the batch could not be written to the log in DATA_DIR (%s); nothing of the batch was applied, retry later',
  503,
  withHeaders(LOG_RETRY_AFTER),
);
