import { StoreUnavailableError } from '../errors.js';
import { errorResponse, exampleOf } from '../schemas/error-responses.js';

/**
 * For the API document: what a read-only query route answers itself, a bad query (400, `badQuery` its
 * example message) and, in persistent mode, an unreachable database (503, while `doing` what the store
 * names). What hooks answer is added by the swagger plugin.
 */
export function queryErrors(badQuery: string, doing: string) {
  return {
    400: errorResponse(400, 'a query parameter is missing, unknown, not in its form or out of range', {
      code: 'FLOWS_ERR_VALIDATION',
      message: badQuery,
    }),
    503: errorResponse(
      503,
      'persistent store only: the database is unreachable (FLOWS_ERR_STORE_UNAVAILABLE); see Retry-After',
      exampleOf(new StoreUnavailableError(`the database cannot be reached while ${doing}`)),
    ),
  };
}
