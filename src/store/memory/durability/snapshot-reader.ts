import { type FileHandle, open } from 'node:fs/promises';
import { basename } from 'node:path';
import { crc32 } from 'node:zlib';
import { MAX_HOUR, MAX_TOTAL } from '../../../schemas/flow.js';
import { FLOW_BYTES, HourTable, KEY_INTS, TOTAL_DOUBLES, TX } from '../hour-table.js';
import type { Hours } from '../hours.js';
import type { Interner } from '../interner.js';
import { decodeName } from './batch-codec.js';
import { DataDirError, readFully } from './data-files.js';
import type { KeyRow } from './durable-keys.js';
import {
  FILE_HEADER_BYTES,
  readFileHeader,
  readSectionHeader,
  SECTION_HEADER_BYTES,
  Section,
  type SectionHeader,
} from './snapshot-format.js';

export interface LoadedSnapshot {
  lsn: number;
  keys: KeyRow[];
}

/**
 * Reads the snapshot at `path` into `names` and `hours` (both empty). Every section's checksum is
 * verified; anything that does not add up throws DataDirError naming the file, the place and the fix.
 */
export async function readSnapshotFile(path: string, names: Interner, hours: Hours): Promise<LoadedSnapshot> {
  const handle = await open(path, 'r');
  try {
    const result = await readSections(handle, names, hours);
    if (typeof result !== 'string') return result;
    throw new DataDirError(
      `DATA_DIR: snapshot ${basename(path)} is corrupt (${result}); refusing to start, since starting without it would lose its totals. Restore DATA_DIR from a backup.`,
    );
  } finally {
    await handle.close();
  }
}

/** The snapshot's LSN and keys, having restored its names and hours; or what is wrong with the file. */
async function readSections(handle: FileHandle, names: Interner, hours: Hours): Promise<LoadedSnapshot | string> {
  const size = (await handle.stat()).size;
  const header = readFileHeader(await readBytes(handle, FILE_HEADER_BYTES, 0));
  if (typeof header === 'string') return header;
  let keys: KeyRow[] = [];
  let at = FILE_HEADER_BYTES;
  for (let index = 0; ; index++) {
    const where = `section ${index} at byte ${at}`;
    const raw = await readBytes(handle, SECTION_HEADER_BYTES, at);
    if (raw.length < SECTION_HEADER_BYTES) return `the file ends before ${where}`;
    const section = readSectionHeader(raw);
    const { kind, count, payloadBytes } = section;
    at += SECTION_HEADER_BYTES;
    if (!Number.isSafeInteger(payloadBytes) || payloadBytes < 0 || at + payloadBytes > size) {
      return `${where} runs past the end of the file`;
    }
    // The section's CRC covers its payload, then the rest of its header.
    const checksum = (payloadCrc: number) =>
      crc32(raw.subarray(8), payloadCrc) === section.crc ? undefined : 'checksum mismatch';
    let problem: string | undefined;
    if (kind === Section.END) {
      problem =
        checksum(0) ?? (count === index && index === header.sections - 1 && at === size ? undefined : 'bad end marker');
      if (!problem) return { lsn: header.lsn, keys };
    } else if ((kind === Section.NAMES) !== (index === 0)) problem = 'names must come first, once';
    else if (kind === Section.HOUR) problem = await readHour(handle, at, section, checksum, names, hours);
    else if (kind === Section.NAMES || kind === Section.KEYS) {
      const payload = await readBytes(handle, payloadBytes, at);
      problem = checksum(crc32(payload));
      if (!problem && kind === Section.NAMES) problem = restoreNames(payload, count, names);
      if (!problem && kind === Section.KEYS) keys = JSON.parse(payload.toString('utf8')) as KeyRow[];
    } else problem = `unknown kind ${kind}`;
    if (problem) return `${where}: ${problem}`;
    at += payloadBytes;
  }
}

/** Reads an hour straight into its table's buffer and adds it to `hours`; or says what is wrong with it. */
async function readHour(
  handle: FileHandle,
  at: number,
  { hour, count, payloadBytes }: SectionHeader,
  checksum: (payloadCrc: number) => string | undefined,
  names: Interner,
  hours: Hours,
): Promise<string | undefined> {
  if (payloadBytes !== count * FLOW_BYTES) return `${payloadBytes} bytes for ${count} flows`;
  const flows = new ArrayBuffer(HourTable.bufferBytes(count));
  const bytes = new Uint8Array(flows, 0, payloadBytes);
  await readFully(handle, bytes, at);
  const problem = checksum(crc32(bytes)) ?? checkFlows(hour, flows, count, names.size, hours);
  if (!problem) hours.restore(hour, HourTable.fromFlows(flows, count));
  return problem;
}

async function readBytes(handle: FileHandle, length: number, position: number): Promise<Buffer> {
  const bytes = Buffer.alloc(length);
  return bytes.subarray(0, await readFully(handle, bytes, position));
}

/** Interns the snapshot's names in id order; a problem when they do not come out as ids 0, 1, 2... */
function restoreNames(payload: Buffer, count: number, names: Interner): string | undefined {
  const startsBytes = (count + 1) * 4;
  if (payload.length < startsBytes) return 'name offsets missing';
  const starts = new Int32Array(payload.buffer.slice(payload.byteOffset, payload.byteOffset + startsBytes));
  const pool = payload.subarray(startsBytes);
  if (starts[0] !== 0 || starts[count] !== pool.length) return 'name offsets do not match the names';
  for (let id = 0; id < count; id++) {
    if (starts[id + 1] <= starts[id]) return `name ${id} has no bytes`;
    if (names.id(decodeName(pool.subarray(starts[id], starts[id + 1]))) !== id) return `name ${id} is a duplicate`;
  }
  return undefined;
}

/** A problem with an hour's flows: names that do not exist, totals no flow can have, a repeated hour. */
function checkFlows(
  hour: number,
  flows: ArrayBuffer,
  count: number,
  nameCount: number,
  hours: Hours,
): string | undefined {
  if (hour < 0 || hour > MAX_HOUR) return `hour ${hour} out of range`;
  if (hours.get(hour)) return `hour ${hour} appears twice`;
  const keys = new Int32Array(flows);
  const totals = new Float64Array(flows);
  for (let i = 0; i < count; i++) {
    const k = i * KEY_INTS;
    if (keys[k] >>> 0 >= nameCount || keys[k + 1] >>> 0 >= nameCount || keys[k + 2] >>> 0 >= nameCount) {
      return `flow ${i} names an unknown name`;
    }
    const tx = totals[i * TOTAL_DOUBLES + TX];
    const rx = totals[i * TOTAL_DOUBLES + TX + 1];
    if (!(Number.isSafeInteger(tx) && tx >= 0 && tx <= MAX_TOTAL && Number.isSafeInteger(rx) && rx >= 0)) {
      return `flow ${i} has totals ${tx}/${rx}`;
    }
  }
  return undefined;
}
