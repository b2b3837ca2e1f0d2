import createError from '@fastify/error';

export const TotalOverflowError = createError<[string]>(
  'FLOWS_ERR_TOTAL_OVERFLOW',
  'batch rejected: %s would pass 2^53-1 bytes; nothing of the batch was applied',
  422,
);
export const ValidationError = createError<[string]>('FLOWS_ERR_VALIDATION', '%s', 400);
export const NotFoundError = createError<[string]>('FLOWS_ERR_NOT_FOUND', '%s', 404);
export const InternalError = createError('FLOWS_ERR_INTERNAL', 'internal server error', 500);
export const TooManyRecordsError = createError<[number]>(
  'FLOWS_ERR_TOO_MANY_RECORDS',
  'batch has more than %d records; split it into smaller batches',
  413,
);
/** The store cannot be reached; the client should retry after `retryAfterSeconds`. */
export const StoreUnavailableError = createError<[string]>(
  'FLOWS_ERR_STORE_UNAVAILABLE',
  'the flow store is unavailable (%s); nothing was applied, retry later',
  503,
);
/** The connection died after COMMIT was sent and did not come back in time to learn the outcome. */
export const CommitUnknownError = createError<[string]>(
  'FLOWS_ERR_COMMIT_UNKNOWN',
  'the database connection was lost while committing (%s); the batch may or may not be applied, check before resending',
  503,
);
