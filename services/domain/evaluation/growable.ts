/** Per-view series of a replay (event times, hits), kept without boxing. */

/** An append-only typed array that doubles when full. */
export class Growable<T extends Float64Array | Uint8Array> {
  private data: T;
  private length = 0;
  constructor(private readonly make: new (n: number) => T) {
    this.data = new make(1024);
  }
  push(x: number): void {
    if (this.length === this.data.length) {
      const next = new this.make(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = x;
  }
  view(): T {
    return this.data.subarray(0, this.length) as T;
  }
}
