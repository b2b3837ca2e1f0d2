declare module 'siphash24' {
  /**
   * SipHash-2-4 of `input` under a 16-byte `key`, 8 bytes written into `out` (a new array when omitted).
   * `noAssert` skips the sizes' checks.
   */
  function siphash24(input: Uint8Array, key: Uint8Array, out?: Uint8Array, noAssert?: boolean): Uint8Array;
  export default siphash24;
}
