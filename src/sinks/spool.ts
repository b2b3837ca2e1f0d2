import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import { countJson, type PublishedCount, parseCount } from '../counts/minute-count.js';
import { syncDir } from '../sync-dir.js';

/**
 * The counts not yet acknowledged by Kafka, oldest first, kept in a JSON-lines file that is fsynced
 * before `append` resolves. It is a write-ahead log: a count is on disk before it is sent, and leaves
 * the file only after Kafka acknowledged it, so a crash at any point loses nothing; a crash between
 * the acknowledgement and `dropFirst` makes the next start send those counts again (consumers drop
 * repeats by key).
 */
export class Spool {
  readonly #path: string;
  readonly #entries: PublishedCount[];
  /** Appends and rewrites must not interleave: an append into a file being replaced would be lost. */
  #lock: Promise<unknown> = Promise.resolve();

  private constructor(path: string, entries: PublishedCount[]) {
    this.#path = path;
    this.#entries = entries;
  }

  /**
   * Loads what a previous run left. Lines without `instance` (written by the file sink) are
   * attributed to `instance`; a torn last line (a crash mid-append) is dropped, and the file is
   * rewritten so that the next append does not land on the end of it.
   */
  static async open(path: string, instance: string, log: Logger): Promise<Spool> {
    await mkdir(dirname(path), { recursive: true });
    const text = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return '';
      throw err;
    });
    const entries: PublishedCount[] = [];
    let damaged = text.length > 0 && !text.endsWith('\n');
    for (const line of text.split('\n')) {
      if (line === '') continue;
      const entry = parseCount(line, instance);
      if (entry) entries.push(entry);
      else {
        damaged = true;
        log.warn({ path, line: line.slice(0, 200) }, 'spool line is not a count; dropped');
      }
    }
    const spool = new Spool(path, entries);
    if (damaged) await spool.#rewrite();
    if (entries.length > 0) log.info({ path, spooled: entries.length }, 'counts left by a previous run will be sent');
    return spool;
  }

  get size(): number {
    return this.#entries.length;
  }

  /** The oldest `n` counts, not removed. */
  peek(n: number): PublishedCount[] {
    return this.#entries.slice(0, n);
  }

  /** Resolves once the count is durably on disk. */
  append(entry: PublishedCount): Promise<void> {
    return this.#locked(async () => {
      const file = await open(this.#path, 'a');
      try {
        await file.write(`${countJson(entry)}\n`);
        await file.datasync();
      } finally {
        await file.close();
      }
      this.#entries.push(entry);
    });
  }

  /** Forgets the oldest `n` counts (Kafka has them), on disk first. */
  dropFirst(n: number): Promise<void> {
    return this.#locked(async () => {
      this.#entries.splice(0, n);
      await this.#rewrite();
    });
  }

  /** Empty: truncate in place. Otherwise write a new file and rename it over the old, so a crash leaves one or the other. */
  async #rewrite(): Promise<void> {
    if (this.#entries.length === 0) {
      const file = await open(this.#path, 'a');
      try {
        await file.truncate(0);
        await file.datasync();
      } finally {
        await file.close();
      }
      return;
    }
    const tmp = `${this.#path}.tmp`;
    const file = await open(tmp, 'w');
    try {
      await file.write(this.#entries.map((entry) => `${countJson(entry)}\n`).join(''));
      await file.datasync();
    } finally {
      await file.close();
    }
    await rename(tmp, this.#path);
    await syncDir(dirname(this.#path));
  }

  #locked<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#lock.then(task);
    this.#lock = run.catch(() => undefined);
    return run;
  }
}
