import { timingSafeEqual } from 'node:crypto';
import type { Socket } from 'node:net';
import type { Caller } from './api-keys.js';

// Longer headers are never remembered: they are hashed every time, as any miss is.
const SLOT_BYTES = 256;

interface LastKey {
  header: Buffer;
  length: number;
  caller: Caller;
}

/**
 * The last valid `Authorization` header of each open connection, and whose it is. An agent's
 * keep-alive connection sends the same header with every request: recognising it spares hashing the
 * key again. The comparison costs the same whatever the header holds (constant time over a fixed-size
 * slot), so even behind a proxy that sends several clients' requests down one connection, timing tells
 * nothing about the remembered key. Held per socket in a WeakMap: gone with the connection.
 */
export class LastKeyByConnection {
  readonly #last = new WeakMap<Socket, LastKey>();
  readonly #scratch = Buffer.alloc(SLOT_BYTES);

  recall(socket: Socket, header: string): Caller | undefined {
    const last = this.#last.get(socket);
    if (!last || header.length > SLOT_BYTES) return undefined;
    const length = this.#fill(header);
    const same = timingSafeEqual(this.#scratch, last.header);
    return same && length === last.length ? last.caller : undefined;
  }

  remember(socket: Socket, header: string, caller: Caller): void {
    if (header.length > SLOT_BYTES) return;
    const slot = this.#last.get(socket)?.header ?? Buffer.alloc(SLOT_BYTES);
    const length = this.#fill(header);
    this.#scratch.copy(slot);
    this.#last.set(socket, { header: slot, length, caller });
  }

  /** Writes the header into the zero-padded scratch slot; returns its byte length. */
  #fill(header: string): number {
    this.#scratch.fill(0);
    return this.#scratch.write(header, 'latin1');
  }
}
