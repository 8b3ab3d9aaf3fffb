/** A growable byte buffer for the table writers (FDT is big-endian, ACPI little-endian). Internal. */
export class ByteWriter {
  #buf: Uint8Array;
  #dv: DataView;
  #len = 0;

  constructor(initial = 256) {
    this.#buf = new Uint8Array(Math.max(16, initial));
    this.#dv = new DataView(this.#buf.buffer);
  }

  get length(): number {
    return this.#len;
  }

  #ensure(extra: number): void {
    const need = this.#len + extra;
    if (need <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < need) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
    this.#dv = new DataView(next.buffer);
  }

  u8(v: number): void {
    this.#ensure(1);
    this.#buf[this.#len++] = v & 0xff;
  }

  u16le(v: number): void {
    this.#ensure(2);
    this.#dv.setUint16(this.#len, v, true);
    this.#len += 2;
  }

  u32be(v: number): void {
    this.#ensure(4);
    this.#dv.setUint32(this.#len, v >>> 0);
    this.#len += 4;
  }

  u32le(v: number): void {
    this.#ensure(4);
    this.#dv.setUint32(this.#len, v >>> 0, true);
    this.#len += 4;
  }

  /** A safe integer as a little-endian u64. */
  u64le(v: number): void {
    this.u32le(v % 0x1_0000_0000);
    this.u32le(Math.floor(v / 0x1_0000_0000));
  }

  /** A safe integer as a big-endian u64. */
  u64be(v: number): void {
    this.u32be(Math.floor(v / 0x1_0000_0000));
    this.u32be(v % 0x1_0000_0000);
  }

  bytes(b: Uint8Array): void {
    this.#ensure(b.length);
    this.#buf.set(b, this.#len);
    this.#len += b.length;
  }

  zeros(n: number): void {
    this.#ensure(n);
    this.#buf.fill(0, this.#len, this.#len + n);
    this.#len += n;
  }

  /** Pads with zeros to a multiple of `n`. */
  align(n: number): void {
    const rem = this.#len % n;
    if (rem !== 0) this.zeros(n - rem);
  }

  /** Overwrites a big-endian u32 already written. */
  patchU32be(at: number, v: number): void {
    this.#dv.setUint32(at, v >>> 0);
  }

  /** Overwrites a little-endian u32 already written. */
  patchU32le(at: number, v: number): void {
    this.#dv.setUint32(at, v >>> 0, true);
  }

  patchU8(at: number, v: number): void {
    this.#buf[at] = v & 0xff;
  }

  /** The bytes written so far (a copy sized exactly). */
  finish(): Uint8Array {
    return this.#buf.slice(0, this.#len);
  }
}
