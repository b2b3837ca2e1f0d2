import type { FileHandle } from 'node:fs/promises';

/**
 * The files in DATA_DIR: log segments `wal-<first LSN>.log`, snapshots `snapshot-<last LSN>.snap`, and a
 * snapshot being written, `.tmp`. LSNs are zero-padded so that names sort like numbers.
 */
const DIGITS = 16;
const NAME = /^(wal|snapshot)-(\d{16})\.(log|snap|tmp)$/;

type DataFileKind = 'segment' | 'snapshot' | 'partial-snapshot';

export const segmentName = (firstLsn: number) => `wal-${String(firstLsn).padStart(DIGITS, '0')}.log`;
export const snapshotName = (lsn: number) => `snapshot-${String(lsn).padStart(DIGITS, '0')}.snap`;
export const partialSnapshotName = (lsn: number) => `snapshot-${String(lsn).padStart(DIGITS, '0')}.tmp`;

/** What a file name in DATA_DIR is, with its LSN; undefined for a file that is not ours. */
export function parseDataFileName(name: string): { kind: DataFileKind; lsn: number } | undefined {
  const match = NAME.exec(name);
  if (!match) return undefined;
  const [, prefix, lsn, suffix] = match;
  if (prefix === 'wal' && suffix === 'log') return { kind: 'segment', lsn: Number(lsn) };
  if (prefix === 'snapshot' && suffix === 'snap') return { kind: 'snapshot', lsn: Number(lsn) };
  if (prefix === 'snapshot' && suffix === 'tmp') return { kind: 'partial-snapshot', lsn: Number(lsn) };
  return undefined;
}

/** A problem with what is on disk that start-up must not paper over: the message says what and what to do. */
export class DataDirError extends Error {}

/** Node reads and writes at most 2 GiB a call; larger sections go in pieces. */
const CHUNK = 1 << 30;

export async function writeAll(handle: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  for (let done = 0; done < bytes.length; ) {
    const end = Math.min(bytes.length, done + CHUNK);
    const { bytesWritten } = await handle.write(bytes, done, end - done, position + done);
    done += bytesWritten;
  }
}

/** Fills `into` from `position`; returns how many bytes there were (fewer at the end of the file). */
export async function readFully(handle: FileHandle, into: Uint8Array, position: number): Promise<number> {
  let done = 0;
  while (done < into.length) {
    const { bytesRead } = await handle.read(into, done, Math.min(CHUNK, into.length - done), position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done;
}
