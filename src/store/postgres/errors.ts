import { StoreUnavailableError } from '../../errors.js';

// SQLSTATEs worth another attempt: serialization failure, deadlock, the server shutting down or
// starting up, too many connections, a lock or statement timeout (an overloaded database), and every
// connection exception (class 08).
const TRANSIENT_CODES = new Set(['40001', '40P01', '57P01', '57P02', '57P03', '53300', '55P03', '57014']);
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

/** True when the same work may succeed if tried again: the database is restarting, busy, or unreachable. */
export function isTransient(err: unknown): boolean {
  const code = sqlState(err);
  if (code && (TRANSIENT_CODES.has(code) || code.startsWith('08') || TRANSIENT_SYSCALLS.has(code))) return true;
  const message = err instanceof Error ? err.message : '';
  return TRANSIENT_MESSAGES.some((m) => message.includes(m));
}

/** What a client may be told about a transient failure: its kind, not the database's address or text. */
function kind(err: unknown): string {
  const code = sqlState(err);
  if (code === '55P03' || code === '57014') return 'the database is overloaded';
  if (code === '40001' || code === '40P01') return 'too much contention in the database';
  if (code === '57P01' || code === '57P02' || code === '57P03') return 'the database is restarting';
  return 'the database cannot be reached';
}

/** A transient failure becomes a 503 with Retry-After; anything else is left as is (a 500). */
export function unavailable(err: unknown, doing: string): Error {
  if (!isTransient(err)) return err as Error;
  return new StoreUnavailableError(`${kind(err)} while ${doing}`, { cause: err });
}
