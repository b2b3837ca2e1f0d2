import { open } from 'node:fs/promises';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { crc32 } from 'node:zlib';
import { FLOW_BYTES } from '../hour-table.js';
import type { Hours } from '../hours.js';
import type { Interner } from '../interner.js';
import { writeAll } from './data-files.js';
import type { DurableKeys, KeyRow } from './durable-keys.js';
import { fileHeader, Section, sectionHeader } from './snapshot-format.js';

/** The tables as of one LSN, taken in one synchronous step and written in the background. */
export interface SnapshotState {
  lsn: number;
  nameStarts: Int32Array;
  namePool: Uint8Array;
  /** Each hour's flows: the table's own buffer, shared copy-on-write (HourTable.share). */
  hours: { hour: number; flows: Uint8Array }[];
  keys: KeyRow[];
  flows: number;
}

export function captureSnapshot(lsn: number, hours: Hours, names: Interner, keys: DurableKeys): SnapshotState {
  const nameStarts = names.jsonStart.slice(0, names.size + 1);
  const namePool = names.pool.slice(0, nameStarts[names.size]);
  const tables = [...hours.entries()].map(([hour, table]) => ({ hour, flows: table.share() }));
  return { lsn, nameStarts, namePool, hours: tables, keys: keys.rows(), flows: hours.flowCount };
}

/** Writes `state` to `path` and fsyncs it; returns the file's size. The caller renames it into place. */
export async function writeSnapshotFile(path: string, state: SnapshotState): Promise<number> {
  const handle = await open(path, 'w');
  let at = 0;
  const append = async (bytes: Uint8Array) => {
    await writeAll(handle, bytes, at);
    at += bytes.length;
  };
  const section = async (kind: number, hour: number, count: number, ...parts: Uint8Array[]) => {
    let crc = 0;
    for (const part of parts) crc = await checksum(part, crc);
    await append(
      sectionHeader(
        kind,
        hour,
        count,
        parts.reduce((n, p) => n + p.length, 0),
        crc,
      ),
    );
    for (const part of parts) await append(part);
  };
  try {
    const sections = state.hours.length + 3;
    await append(fileHeader(state.lsn, sections));
    const starts = new Uint8Array(state.nameStarts.buffer, state.nameStarts.byteOffset, state.nameStarts.byteLength);
    await section(Section.NAMES, 0, state.nameStarts.length - 1, starts, state.namePool);
    for (const { hour, flows } of state.hours) await section(Section.HOUR, hour, flows.length / FLOW_BYTES, flows);
    await section(Section.KEYS, 0, state.keys.length, Buffer.from(JSON.stringify(state.keys)));
    await section(Section.END, 0, sections - 1);
    await handle.sync();
  } finally {
    await handle.close();
  }
  return at;
}

/** CRC-32 in pieces, so checksumming a large hour does not hold up requests. */
async function checksum(bytes: Uint8Array, crc: number): Promise<number> {
  const piece = 8 * 1024 * 1024;
  for (let from = 0; from < bytes.length; from += piece) {
    crc = crc32(bytes.subarray(from, from + piece), crc);
    if (from + piece < bytes.length) await nextTurn();
  }
  return crc;
}
