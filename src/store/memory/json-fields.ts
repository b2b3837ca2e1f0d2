/** The six keys of a flow record, as the JSON fast path (json-batch-scanner.ts) finds them in bytes. */

// Field numbers, also bit positions in the "seen" mask.
export const SRC = 0;
export const DEST = 1;
export const VPC = 2;
export const TX = 3;
export const RX = 4;
export const HOUR = 5;
export const ALL_FIELDS = 0b111111;
const FIELD_NAMES = ['src_app', 'dest_app', 'vpc_id', 'bytes_tx', 'bytes_rx', 'hour'];
export const FIELD_BYTES = FIELD_NAMES.map((name) => new Uint8Array(Buffer.from(name, 'latin1')));

export const QUOTE = 0x22;

/** The field whose name, then a closing quote, starts at `b[i]`; or -1. */
export function fieldAt(b: Uint8Array, i: number): number {
  let field: number;
  switch (b[i]) {
    case 0x73: // s
      field = SRC;
      break;
    case 0x64: // d
      field = DEST;
      break;
    case 0x76: // v
      field = VPC;
      break;
    case 0x62: // b
      field = b[i + 6] === 0x74 ? TX : RX;
      break;
    case 0x68: // h
      field = HOUR;
      break;
    default:
      return -1;
  }
  const name = FIELD_BYTES[field];
  for (let k = 1; k < name.length; k++) if (b[i + k] !== name[k]) return -1;
  return b[i + name.length] === QUOTE ? field : -1;
}
