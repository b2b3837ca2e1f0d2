import { hash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Config } from '../config.js';
import { ConfigError } from '../config.js';

export type KeyScope = 'ingest' | 'query';

export interface Caller {
  /** A short digest of the key: safe to log and to key rate limits by, useless to an attacker. */
  id: string;
  scopes: ReadonlySet<KeyScope>;
}

interface Entry extends Caller {
  digest: Buffer;
}

const MIN_KEY_LENGTH = 16;

/**
 * The configured API keys, held only as SHA-256 digests. Looking a key up compares its digest with
 * every entry in constant time, so neither timing nor the error tells which keys exist.
 */
export class ApiKeys {
  readonly #entries: Entry[];

  constructor(keys: { ingest?: readonly string[]; query?: readonly string[] }) {
    const byDigest = new Map<string, Entry>();
    for (const scope of ['ingest', 'query'] as const) {
      for (const key of keys[scope] ?? []) {
        if (key.length < MIN_KEY_LENGTH) {
          throw new ConfigError(
            `invalid configuration: ${scope} API keys must be at least ${MIN_KEY_LENGTH} characters`,
          );
        }
        const digest = sha256(key);
        const hex = digest.toString('hex');
        const entry = byDigest.get(hex) ?? { id: hex.slice(0, 12), digest, scopes: new Set<KeyScope>() };
        (entry.scopes as Set<KeyScope>).add(scope);
        byDigest.set(hex, entry);
      }
    }
    this.#entries = [...byDigest.values()];
  }

  get size(): number {
    return this.#entries.length;
  }

  lookup(key: string): Caller | undefined {
    const digest = sha256(key);
    let found: Entry | undefined;
    // No early exit: every lookup costs the same whichever entry matches, if any.
    for (const entry of this.#entries) {
      if (timingSafeEqual(entry.digest, digest)) found = entry;
    }
    return found;
  }
}

// One-shot: no Hash object per request.
function sha256(value: string): Buffer {
  return hash('sha256', value, 'buffer');
}

function splitList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((key) => key.trim())
    .filter((key) => key !== '');
}

/**
 * Keys from API_KEYS_INGEST / API_KEYS_QUERY (comma-separated) and API_KEYS_FILE (JSON
 * `{"ingest": [...], "query": [...]}`). Undefined when none is configured: authentication is off.
 */
export function loadApiKeys(
  config: Pick<Config, 'API_KEYS_INGEST' | 'API_KEYS_QUERY' | 'API_KEYS_FILE'>,
): ApiKeys | undefined {
  const ingest = splitList(config.API_KEYS_INGEST);
  const query = splitList(config.API_KEYS_QUERY);
  if (config.API_KEYS_FILE) {
    const file = readKeyFile(config.API_KEYS_FILE);
    ingest.push(...file.ingest);
    query.push(...file.query);
  }
  if (ingest.length === 0 && query.length === 0) return undefined;
  return new ApiKeys({ ingest, query });
}

function readKeyFile(path: string): { ingest: string[]; query: string[] } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ConfigError(`invalid configuration: API_KEYS_FILE ${path}: ${(err as Error).message}`);
  }
  const lists = parsed as { ingest?: unknown; query?: unknown };
  const isList = (value: unknown) =>
    value === undefined || (Array.isArray(value) && value.every((key) => typeof key === 'string'));
  if (typeof parsed !== 'object' || parsed === null || !isList(lists.ingest) || !isList(lists.query)) {
    throw new ConfigError(
      'invalid configuration: API_KEYS_FILE must hold {"ingest": ["key", ...], "query": ["key", ...]}',
    );
  }
  return { ingest: (lists.ingest as string[]) ?? [], query: (lists.query as string[]) ?? [] };
}
