/**
 * A minimal WebAssembly binary writer: only the instructions the resampler kernels use. The
 * kernels are generated at module load from the filter coefficients (straight-line code with the
 * tap offsets as immediates), so there is no build step and no toolchain: this file is the
 * whole assembler, and WebAssembly.validate plus the resampler tests check its output.
 *
 * Encodings follow the WebAssembly core spec (binary format) and its fixed-width SIMD opcodes.
 */

/** Unsigned LEB128. */
function unsigned(value: number): number[] {
  const out: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    out.push(byte);
  } while (value !== 0);
  return out;
}

/** Signed LEB128 (i32.const immediates). */
function signed(value: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = value & 0x7f;
    value >>= 7;
    const done = (value === 0 && (byte & 0x40) === 0) || (value === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

const SIMD_PREFIX = 0xfd;
const V128 = 0x7b;
const I32 = 0x7f;
const BLOCK_VOID = 0x40;

/** Instruction emitter for one function body. Methods append and return `this` for chaining. */
export class Code {
  readonly bytes: number[] = [];

  private simd(opcode: number, ...immediates: number[]): this {
    this.bytes.push(SIMD_PREFIX, ...unsigned(opcode), ...immediates);
    return this;
  }

  /** memarg: alignment hint 0 (any alignment is legal), then the constant offset. */
  private memarg(offset: number): number[] {
    if (!Number.isInteger(offset) || offset < 0) throw new Error(`bad memory offset ${offset}`);
    return [0, ...unsigned(offset)];
  }

  localGet(index: number): this {
    this.bytes.push(0x20, ...unsigned(index));
    return this;
  }
  localSet(index: number): this {
    this.bytes.push(0x21, ...unsigned(index));
    return this;
  }
  i32Const(value: number): this {
    this.bytes.push(0x41, ...signed(value | 0));
    return this;
  }
  i32Add(): this {
    this.bytes.push(0x6a);
    return this;
  }
  i32GeU(): this {
    this.bytes.push(0x4f);
    return this;
  }
  i32Shl(): this {
    this.bytes.push(0x74);
    return this;
  }
  block(): this {
    this.bytes.push(0x02, BLOCK_VOID);
    return this;
  }
  loop(): this {
    this.bytes.push(0x03, BLOCK_VOID);
    return this;
  }
  end(): this {
    this.bytes.push(0x0b);
    return this;
  }
  br(depth: number): this {
    this.bytes.push(0x0c, ...unsigned(depth));
    return this;
  }
  brIf(depth: number): this {
    this.bytes.push(0x0d, ...unsigned(depth));
    return this;
  }

  /** memory.copy(destination, source, length) of memory 0 (overlap-safe). */
  memoryCopy(): this {
    this.bytes.push(0xfc, 0x0a, 0x00, 0x00);
    return this;
  }

  v128Load(offset: number): this {
    return this.simd(0x00, ...this.memarg(offset));
  }
  /** Four int16 at the address, sign-extended to an i32x4. */
  v128Load16x4S(offset: number): this {
    return this.simd(0x03, ...this.memarg(offset));
  }
  v128Store(offset: number): this {
    return this.simd(0x0b, ...this.memarg(offset));
  }
  /** Picks 16 bytes out of the 32 of its two operands (0-15 first, 16-31 second). */
  i8x16Shuffle(lanes: readonly number[]): this {
    if (lanes.length !== 16 || lanes.some((l) => !Number.isInteger(l) || l < 0 || l > 31)) throw new Error('bad shuffle');
    return this.simd(0x0d, ...lanes);
  }
  /** Round to nearest, ties to even. */
  f32x4Nearest(): this {
    return this.simd(0x6a);
  }
  /** Two i32x4 to one i16x8, saturating. */
  i16x8NarrowI32x4S(): this {
    return this.simd(0x85);
  }
  i32x4ExtendLowI16x8S(): this {
    return this.simd(0xa7);
  }
  i32x4ExtendHighI16x8S(): this {
    return this.simd(0xa8);
  }
  f32x4Add(): this {
    return this.simd(0xe4);
  }
  f32x4Mul(): this {
    return this.simd(0xe6);
  }
  i32x4TruncSatF32x4S(): this {
    return this.simd(0xf8);
  }
  f32x4ConvertI32x4S(): this {
    return this.simd(0xfa);
  }
}

export interface FunctionSpec {
  name: string;
  /** All parameters are i32; the function returns nothing. */
  params: number;
  i32Locals: number;
  v128Locals: number;
  /** Locals are numbered params first, then the i32 locals, then the v128 locals. */
  body: Code;
}

function section(id: number, contents: number[]): number[] {
  return [id, ...unsigned(contents.length), ...contents];
}

function vector(items: number[][]): number[] {
  return [...unsigned(items.length), ...items.flat()];
}

function name(text: string): number[] {
  const bytes = [...Buffer.from(text, 'utf8')];
  return [...unsigned(bytes.length), ...bytes];
}

/** A module with one memory of `memoryPages` × 64 KiB exported as "memory", and the given exported functions. */
export function assembleModule(memoryPages: number, functions: FunctionSpec[]): Uint8Array {
  const arities = [...new Set(functions.map((f) => f.params))];
  const types = arities.map((n) => [0x60, ...vector(Array.from({ length: n }, () => [I32])), 0]);
  const bodies = functions.map((f) => {
    const locals = vector([
      [...unsigned(f.i32Locals), I32],
      [...unsigned(f.v128Locals), V128],
    ]);
    const body = [...locals, ...f.body.bytes, 0x0b];
    return [...unsigned(body.length), ...body];
  });
  return Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vector(types)),
    ...section(3, vector(functions.map((f) => unsigned(arities.indexOf(f.params))))),
    ...section(5, vector([[0x00, ...unsigned(memoryPages)]])),
    ...section(
      7,
      vector([[...name('memory'), 0x02, 0], ...functions.map((f, i) => [...name(f.name), 0x00, ...unsigned(i)])]),
    ),
    ...section(10, vector(bodies)),
  ]);
}
