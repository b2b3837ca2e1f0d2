/** Maps each distinct string to a small integer, so a flow is three integers instead of three strings. */
export class Interner {
  readonly #ids = new Map<string, number>();
  readonly #strings: string[] = [];

  id(value: string): number {
    let id = this.#ids.get(value);
    if (id === undefined) {
      id = this.#strings.length;
      this.#strings.push(value);
      this.#ids.set(value, id);
    }
    return id;
  }

  string(id: number): string {
    return this.#strings[id];
  }

  /** Forgets the strings interned from `size` on (those of a rejected batch). */
  truncate(size: number): void {
    for (let id = this.#strings.length - 1; id >= size; id--) this.#ids.delete(this.#strings[id]);
    this.#strings.length = size;
  }

  get size(): number {
    return this.#strings.length;
  }
}
