import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import { countJson, type MinuteCount } from '../counts/minute-count.js';
import type { CountsSink, SinkStatus } from './counts-sink.js';

/** Appends each count as one JSON line to a file, with this process's instance as Kafka messages have it, and logs it. */
export class FileCountsSink implements CountsSink {
  readonly #out: WriteStream;
  readonly #instance: string;
  readonly #log: Logger;

  private constructor(out: WriteStream, instance: string, log: Logger) {
    this.#out = out;
    this.#instance = instance;
    this.#log = log;
  }

  static async open(path: string, instance: string, log: Logger): Promise<FileCountsSink> {
    await mkdir(dirname(path), { recursive: true });
    const out = createWriteStream(path, { flags: 'a' });
    await new Promise<void>((resolve, reject) => {
      out.once('ready', resolve);
      out.once('error', reject);
    });
    return new FileCountsSink(out, instance, log);
  }

  async publish(count: MinuteCount): Promise<void> {
    await new Promise<void>((resolve, reject) =>
      this.#out.write(`${countJson({ ...count, instance: this.#instance })}\n`, (err) =>
        err ? reject(err) : resolve(),
      ),
    );
    this.#log.info({ counts: count }, 'minute counts');
  }

  status(): SinkStatus {
    return { kind: 'file' };
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.#out.once('error', reject);
      this.#out.end(resolve);
    });
  }
}
