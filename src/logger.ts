import { pino } from 'pino';

/** JSON lines for machines; pretty lines only when a person watches a terminal. */
export function createLogger(level: string) {
  return pino({
    level,
    ...(process.stdout.isTTY ? { transport: { target: 'pino-pretty' } } : {}),
  });
}
