declare module 'siphash24' {
  /**
   * SipHash-2-4 of `input` under a 16-byte `key`, 8 bytes written into `out` (a new array when omitted).
   * `noAssert` skips the sizes' checks.
   */
  function siphash24(input: Uint8Array, key: Uint8Array, out?: Uint8Array, noAssert?: boolean): Uint8Array;
  export default siphash24;
}

declare module 'siphash24/siphash24.js' {
  /**
   * A new instance of siphash24's WebAssembly: `siphash(at, length)` hashes the `length` bytes of
   * `memory` from `at` under the 16-byte key at bytes 8 to 23, and writes the 8-byte hash at bytes 0 to 7.
   */
  function instantiate(): { memory: WebAssembly.Memory; siphash(at: number, length: number): void };
  export default instantiate;
}
