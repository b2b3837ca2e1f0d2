import { crc32 } from 'node:zlib';

/**
 * A snapshot file: the tables as of one LSN.
 *
 *   file header (32 bytes): "FLWSNAP1" | CRC-32 of bytes 12-31 | version u32 | LSN f64 | sections u32 | 0 u32
 *   sections, each: kind u32 | CRC-32 (of the payload, then header bytes 8-23) | hour i32 | count u32 | payload bytes f64
 *     NAMES (1): count names; their JSON forms' start offsets (int32, count + 1 of them), then the forms
 *     HOUR  (2): `hour`, count flows, 32 bytes each as HourTable keeps them
 *     KEYS  (3): count Idempotency-Keys as a JSON array of KeyRow
 *     END   (0): count = the sections before it; nothing may follow
 */
export const FILE_MAGIC = Buffer.from('FLWSNAP1', 'latin1');
export const FILE_HEADER_BYTES = 32;
export const SECTION_HEADER_BYTES = 24;
export const VERSION = 1;

export const Section = { END: 0, NAMES: 1, HOUR: 2, KEYS: 3 } as const;

export function fileHeader(lsn: number, sections: number): Buffer {
  const header = Buffer.alloc(FILE_HEADER_BYTES);
  FILE_MAGIC.copy(header, 0);
  header.writeUInt32LE(VERSION, 12);
  header.writeDoubleLE(lsn, 16);
  header.writeUInt32LE(sections, 24);
  header.writeUInt32LE(crc32(header.subarray(12)), 8);
  return header;
}

/** The LSN and section count of a file header; a string saying what is wrong when it is not one. */
export function readFileHeader(header: Buffer): { lsn: number; sections: number } | string {
  if (header.length < FILE_HEADER_BYTES || !header.subarray(0, 8).equals(FILE_MAGIC)) return 'not a snapshot file';
  if (crc32(header.subarray(12, FILE_HEADER_BYTES)) !== header.readUInt32LE(8)) return 'file header checksum mismatch';
  if (header.readUInt32LE(12) !== VERSION) return `unknown version ${header.readUInt32LE(12)}`;
  return { lsn: header.readDoubleLE(16), sections: header.readUInt32LE(24) };
}

export interface SectionHeader {
  kind: number;
  crc: number;
  hour: number;
  count: number;
  payloadBytes: number;
}

/** `payloadCrc`: CRC-32 of the payload; the section's CRC continues it over header bytes 8-23. */
export function sectionHeader(
  kind: number,
  hour: number,
  count: number,
  payloadBytes: number,
  payloadCrc: number,
): Buffer {
  const header = Buffer.alloc(SECTION_HEADER_BYTES);
  header.writeUInt32LE(kind, 0);
  header.writeInt32LE(hour, 8);
  header.writeUInt32LE(count, 12);
  header.writeDoubleLE(payloadBytes, 16);
  header.writeUInt32LE(crc32(header.subarray(8), payloadCrc), 4);
  return header;
}

export function readSectionHeader(header: Buffer): SectionHeader {
  return {
    kind: header.readUInt32LE(0),
    crc: header.readUInt32LE(4),
    hour: header.readInt32LE(8),
    count: header.readUInt32LE(12),
    payloadBytes: header.readDoubleLE(16),
  };
}
