import { crc32 } from 'node:zlib';

/**
 * One write of the log: a group of batches made durable together (group commit), checksummed whole,
 * since a group is on disk entirely or was never acknowledged.
 *
 *   magic u32 | payload bytes u32 | CRC-32 u32 (of everything after it) | batches u32 | first LSN f64 | payload
 *
 * Little-endian, like the typed arrays in the payload (refused on a big-endian machine at start-up).
 */
export const FRAME_MAGIC = 0x4c574c46; // "FLWL"
export const FRAME_HEADER_BYTES = 24;
const CHECKED_FROM = 12;

export interface FrameHeader {
  payloadBytes: number;
  batches: number;
  firstLsn: number;
}

/** Fills in the header of the frame in `frame` (header space included) and its checksum. */
export function sealFrame(frame: Buffer, batches: number, firstLsn: number): void {
  frame.writeUInt32LE(FRAME_MAGIC, 0);
  frame.writeUInt32LE(frame.length - FRAME_HEADER_BYTES, 4);
  frame.writeUInt32LE(batches, 12);
  frame.writeDoubleLE(firstLsn, 16);
  frame.writeUInt32LE(crc32(frame.subarray(CHECKED_FROM)), 8);
}

/** The header at `bytes[0, FRAME_HEADER_BYTES)`, or undefined when it is not one. */
export function readFrameHeader(bytes: Buffer): FrameHeader | undefined {
  if (bytes.length < FRAME_HEADER_BYTES || bytes.readUInt32LE(0) !== FRAME_MAGIC) return undefined;
  const firstLsn = bytes.readDoubleLE(16);
  if (!Number.isSafeInteger(firstLsn) || firstLsn < 1) return undefined;
  return { payloadBytes: bytes.readUInt32LE(4), batches: bytes.readUInt32LE(12), firstLsn };
}

/** True when `frame` (header and payload) is whole and its checksum matches. */
export function frameIsIntact(frame: Buffer): boolean {
  const header = readFrameHeader(frame);
  return (
    header !== undefined &&
    frame.length === FRAME_HEADER_BYTES + header.payloadBytes &&
    crc32(frame.subarray(CHECKED_FROM)) === frame.readUInt32LE(8)
  );
}
