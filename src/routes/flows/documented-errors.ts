import fastify from 'fastify';
import {
  AnswersBusyError,
  CapacityError,
  CommitUnknownError,
  HourExpiredError,
  LogWriteFailedError,
  StoreUnavailableError,
  TooManyRecordsError,
  totalOverflow,
} from '../../errors.js';
import { errorResponse, exampleOf } from '../../schemas/error-responses.js';

// The errors the /flows routes answer themselves, for the API document. The messages come from the
// catalogue, so the examples say what a client really gets. What hooks answer (authentication, rate
// limits, load shedding, Idempotency-Key) is added by the swagger plugin.

const { FST_ERR_CTP_INVALID_JSON_BODY, FST_ERR_CTP_BODY_TOO_LARGE } = fastify.errorCodes;
const storeUnavailable = (doing: string) =>
  exampleOf(new StoreUnavailableError(`the database cannot be reached while ${doing}`));

export function postFlowsErrors(maxRecords: number) {
  return {
    400: errorResponse(
      400,
      'not a batch: the message names the record and field (FLOWS_ERR_VALIDATION), or the body is not JSON',
      { code: 'FLOWS_ERR_VALIDATION', message: 'record 0: field "bytes_tx" must be >= 0' },
      exampleOf(new FST_ERR_CTP_INVALID_JSON_BODY()),
    ),
    413: errorResponse(
      413,
      'more than MAX_BATCH_RECORDS records, or a body over BODY_LIMIT bytes',
      exampleOf(new TooManyRecordsError(maxRecords)),
      exampleOf(new FST_ERR_CTP_BODY_TOO_LARGE()),
    ),
    415: errorResponse(415, 'a content type other than application/json', {
      code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE',
      message: 'unsupported content-type "text/plain": send application/json',
    }),
    422: errorResponse(
      422,
      'a total would pass 2^53-1 (FLOWS_ERR_TOTAL_OVERFLOW), or with RETENTION_HOURS a record is for an hour already dropped (FLOWS_ERR_HOUR_EXPIRED); nothing of the batch was applied',
      exampleOf(totalOverflow({ src_app: 'foo', dest_app: 'bar', vpc_id: 'vpc-0', hour: 1 })),
      exampleOf(new HourExpiredError(0, 490_000, 490_076, 490_100, 24)),
    ),
    507: errorResponse(
      507,
      'in-memory store only: the batch would take the flows or names past MAX_FLOWS or MAX_NAME_BYTES; nothing of the batch was applied',
      exampleOf(new CapacityError('MAX_FLOWS is 1000000 and 1000000 flows are held; the batch would add 3 new flows')),
    ),
    503: errorResponse(
      503,
      'persistent store: the database is unreachable, nothing was applied (FLOWS_ERR_STORE_UNAVAILABLE), or the connection was lost while committing (FLOWS_ERR_COMMIT_UNKNOWN); in-memory store with DATA_DIR: the batch could not be written to the log, nothing was applied (FLOWS_ERR_LOG_WRITE_FAILED); see Retry-After',
      storeUnavailable('writing flows'),
      exampleOf(new CommitUnknownError('Connection terminated unexpectedly')),
      exampleOf(new LogWriteFailedError('no space left on the device')),
    ),
  };
}

export const getFlowsErrors = {
  400: errorResponse(
    400,
    'hour missing, not a whole number in plain decimal digits, or out of range; or an unknown parameter',
    {
      code: 'FLOWS_ERR_VALIDATION',
      message: 'query parameter "hour" must be a whole number in plain decimal digits',
    },
  ),
  503: errorResponse(
    503,
    'persistent store: the database is unreachable (FLOWS_ERR_STORE_UNAVAILABLE); in-memory store: too many large answers are held for slow readers (FLOWS_ERR_OVERLOADED); see Retry-After',
    storeUnavailable('reading flows'),
    exampleOf(new AnswersBusyError()),
  ),
};
