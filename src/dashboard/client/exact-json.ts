/** An integer from the API: a number while exact in a double, a bigint past 2^53-1. */
export type Exact = number | bigint;

interface ReviverContext {
  source?: string;
}

/**
 * JSON.parse that keeps byte sums exact past 2^53-1: the API writes them as plain JSON numbers, which a
 * double would round. Uses the reviver's source text (JSON.parse source text access, Chromium 114+,
 * Firefox 135+, Safari 18.4+); where a browser lacks it, such sums are rounded, as any JSON client would.
 */
export function parseExact<T>(text: string): T {
  return JSON.parse(text, (_key, value: unknown, context?: ReviverContext) => {
    if (typeof value !== 'number' || Number.isSafeInteger(value)) return value;
    const source = context?.source;
    return source !== undefined && /^\d+$/.test(source) ? BigInt(source) : value;
  });
}

/** JSON text of a value that may hold bigints (written as digits in a string). */
export function stringifyExact(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => (typeof item === 'bigint' ? item.toString() : item));
}
