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

  get size(): number {
    return this.#strings.length;
  }
}
