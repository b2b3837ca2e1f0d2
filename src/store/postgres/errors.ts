import { BrokenCircuitError } from 'cockatiel';
import { StoreUnavailableError, ValidationError } from '../../errors.js';

// SQLSTATEs worth another attempt: serialization failure, deadlock, the server shutting down or
// starting up, too many connections, a lock or statement timeout (an overloaded database), and every
// connection exception (class 08).
const TRANSIENT_CODES = new Set(['40001', '40P01', '57P01', '57P02', '57P03', '53300', '55P03', '57014']);
// Of those, the ones that say the database is away rather than busy: they open the circuit breaker.
const OUTAGE_CODES = new Set(['57P01', '57P02', '57P03', '53300']);
// Socket-level failures from node and node-postgres' own messages for a lost or slow connection.
const TRANSIENT_SYSCALLS = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND']);
const TRANSIENT_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error',
  'Query read timeout',
  'connection timeout',
];

export function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' ? code : undefined;
}

function isConnectionFailure(err: unknown): boolean {
  const code = sqlState(err);
  if (code && (code.startsWith('08') || TRANSIENT_SYSCALLS.has(code))) return true;
  const message = err instanceof Error ? err.message : '';
  return TRANSIENT_MESSAGES.some((m) => message.includes(m));
}

/** True when the same work may succeed if tried again: the database is restarting, busy, or unreachable. */
export function isTransient(err: unknown): boolean {
  const code = sqlState(err);
  return (code !== undefined && TRANSIENT_CODES.has(code)) || isConnectionFailure(err);
}

/**
 * True when the database itself is away (unreachable, restarting, out of connections), which is what
 * opens the circuit breaker. Contention (deadlocks, lock and statement timeouts) is retried, but says
 * nothing about the database being down.
 */
export function isOutage(err: unknown): boolean {
  const code = sqlState(err);
  return (code !== undefined && OUTAGE_CODES.has(code)) || isConnectionFailure(err);
}

/**
 * Failures that belong to the data of one batch rather than to the database: a value it cannot store
 * (class 22, e.g. a character the database's encoding lacks) or two rows that became one key (21000).
 */
export function isDataError(err: unknown): boolean {
  const code = sqlState(err);
  return code === '21000' || (code?.startsWith('22') ?? false);
}

/** What a client may be told about a transient failure: its kind, not the database's address or text. */
function kind(err: unknown): string {
  const code = sqlState(err);
  if (code === '55P03' || code === '57014') return 'the database is overloaded';
  if (code === '40001' || code === '40P01') return 'too much contention in the database';
  if (code === '57P01' || code === '57P02' || code === '57P03') return 'the database is restarting';
  return 'the database cannot be reached';
}

/**
 * A transient failure, or the open circuit breaker, becomes a 503 with Retry-After; a batch's own data
 * error a 400; anything else is left as is (a 500).
 */
export function unavailable(err: unknown, doing: string): Error {
  if (err instanceof BrokenCircuitError) {
    return new StoreUnavailableError(`the database cannot be reached; not trying again yet, while ${doing}`, {
      cause: err,
    });
  }
  if (isDataError(err)) return new ValidationError('batch rejected: the database cannot store one of its values');
  if (!isTransient(err)) return err as Error;
  return new StoreUnavailableError(`${kind(err)} while ${doing}`, { cause: err });
}
