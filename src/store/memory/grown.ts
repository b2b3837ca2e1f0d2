/** `from` copied into the start of `to`, a longer array of its kind: a typed array grown. */
export function grown<T extends Int32Array | Float64Array>(from: T, to: T): T {
  to.set(from);
  return to;
}
