import { assembleModule, Code } from './wasmAssembler';
import { DECIMATOR_FIRST_TAP, DECIMATOR_TAPS, PROTOTYPE, RATIO } from './telephonyFilter';

/**
 * WebAssembly SIMD kernels for the 3x interpolator and decimator, generated from the filter taps.
 *
 * Why: in plain JavaScript every multiply-add is a scalar float64 operation with a bounds check;
 * WebAssembly SIMD does four float32 multiply-adds per instruction. Both kernels vectorise across
 * 4 consecutive outputs (never across taps), so each output is one plain sum in a fixed order:
 * results do not depend on how the input was chunked, and no horizontal adds are needed.
 * float32 is ample for 16-bit audio: outputs differ from the float64 JavaScript path by at most
 * one step, in ~0.1% of samples (where the exact value sits next to a rounding boundary).
 *
 * - Interpolator: polyphase. Output 3m+p is Σ_j 3·h[3j+p]·x[m−j] (the zero-stuffed samples are
 *   never touched); the 3 branches share each input load.
 * - Decimator: only every 3rd output is computed. The input is split into its 3 phases
 *   (x[3i], x[3i+1], x[3i+2]) so that 4 consecutive outputs read 4 contiguous samples per tap,
 *   and the samples of mirrored taps are added before their shared coefficient multiplies them.
 *
 * The code is straight-line per tap, with tap offsets and coefficient addresses as immediates.
 * One module instance (one 128 KiB memory) serves every resampler in the process, since calls
 * are synchronous: the filter history of the resampler that ran last stays in that memory, and
 * is saved to its owner (≤ 75 floats) only when another resampler of the same direction runs.
 * Each kernel ends by moving its history to the front of its region for the next call.
 */

/** The part of the WebAssembly JS API used here (the project's TypeScript libs do not declare it). */
declare const WebAssembly:
  | undefined
  | {
      validate(bytes: Uint8Array): boolean;
      Module: new (bytes: Uint8Array) => object;
      Instance: new (module: object) => { exports: Record<string, unknown> };
    };

/** Inputs per kernel call (interpolator) or output samples per kernel call (decimator). */
export const MAX_BLOCK = 2048;
/** Each loop iteration handles 8 inputs (interpolator) or 8 outputs (decimator): two vectors, for ILP. */
const STEP = 8;

const UP_BRANCH_TAPS = Math.ceil(PROTOTYPE.length / RATIO);
const DOWN_BRANCH_TAPS = Math.ceil(DECIMATOR_TAPS.length / RATIO);
/** Past inputs each kernel needs (per phase, for the decimator). */
export const UP_HISTORY = UP_BRANCH_TAPS - 1;
export const DOWN_HISTORY = DOWN_BRANCH_TAPS - 1;

/** One product in the decimator's sum: a coefficient times one sample or (symmetric taps) the sum of two. */
interface DecimatorTerm {
  coefficient: number;
  /** Phase (0-2) and window position (0 = oldest) of each sample. */
  reads: Array<{ phase: number; t: number }>;
}

/**
 * Σ_k DECIMATOR_TAPS[k]·x[3m+2−k] as terms. Taps mirrored around the centre have equal
 * coefficients, so their samples are added first and multiplied once: 38 multiplies instead of
 * 75 per output for 75 taps (the sum of two int16 values is exact in float32).
 * Tap k = 3j+r reads x[3(m−j)+2−r], i.e. phase 2−r at window position DOWN_HISTORY−j.
 */
const DOWN_TERMS: DecimatorTerm[] = (() => {
  const read = (k: number) => ({ phase: RATIO - 1 - (k % RATIO), t: DOWN_HISTORY - Math.floor(k / RATIO) });
  const terms: DecimatorTerm[] = [];
  for (let k = DECIMATOR_FIRST_TAP, mirror = DECIMATOR_TAPS.length - 1; k <= mirror; k++, mirror--) {
    terms.push({ coefficient: DECIMATOR_TAPS[k], reads: k === mirror ? [read(k)] : [read(k), read(mirror)] });
  }
  return terms;
})();

const align16 = (bytes: number) => Math.ceil(bytes / 16) * 16;

/** Memory layout (byte addresses). Slack after each region absorbs the last partial step. */
class Layout {
  private next = 0;
  take(bytes: number): number {
    const at = this.next;
    this.next += align16(bytes);
    return at;
  }
  get size(): number {
    return this.next;
  }
}
const layout = new Layout();
const UP_COEFFS = layout.take(RATIO * UP_BRANCH_TAPS * 16);
const DOWN_COEFFS = layout.take(DOWN_TERMS.length * 16);
export const UP_INPUT = layout.take((MAX_BLOCK + STEP) * 2); // int16
const UP_SAMPLES = layout.take((UP_HISTORY + MAX_BLOCK + STEP) * 4); // float32: history, then input
const UP_OUTPUT = layout.take((MAX_BLOCK + STEP) * RATIO * 2); // int16
export const DOWN_INPUT = layout.take((MAX_BLOCK + STEP) * RATIO * 2); // int16, interleaved
const DOWN_PHASE_STRIDE = align16((DOWN_HISTORY + MAX_BLOCK + STEP) * 4);
const DOWN_PHASES = layout.take(RATIO * DOWN_PHASE_STRIDE); // float32 per phase: history, then input
const DOWN_PHASE_FLOATS = DOWN_PHASE_STRIDE / 4;
const DOWN_OUTPUT = layout.take((MAX_BLOCK + STEP) * 2); // int16
const PAGES = Math.ceil(layout.size / 65536);

/**
 * Coefficient for interpolator branch p at window position t (0 = oldest input), or null where
 * the polyphase split leaves no tap. ×3 restores the level lost to the two inserted zeros.
 */
function upCoefficient(p: number, t: number): number | null {
  const k = RATIO * (UP_HISTORY - t) + p;
  return k < PROTOTYPE.length ? RATIO * PROTOTYPE[k] : null;
}

/** int16 lanes (0-7 first operand, 8-15 second; -1 = don't care) as i8x16.shuffle byte lanes. */
function int16Lanes(lanes: number[]): number[] {
  return lanes.flatMap((l) => (l < 0 ? [0, 1] : [2 * l, 2 * l + 1]));
}

/** Rounds the float32x4 in local `index` to nearest (ties to even) and leaves an i32x4 there. */
function roundInPlace(code: Code, index: number): void {
  code.localGet(index).f32x4Nearest().i32x4TruncSatF32x4S().localSet(index);
}

/** `while (local[counter] < local[end]) { body; local[counter] += …; }` */
function loopWhileBelow(code: Code, counter: number, end: number, body: () => void): void {
  code.block().loop();
  code.localGet(counter).localGet(end).i32GeU().brIf(1);
  body();
  code.br(0).end().end();
}

function addTo(code: Code, local: number, value: number): void {
  code.localGet(local).i32Const(value).i32Add().localSet(local);
}

/** upsample(count): UP_INPUT int16 → UP_SAMPLES float32 (after the history) → UP_OUTPUT, 3 per input. */
function upsampleFunction(): Code {
  const [count, end, inAt, at, outAt] = [0, 1, 2, 3, 4];
  const acc = (p: number, half: number) => 5 + 2 * p + half; // 6 accumulators
  const [xLow, xHigh, coefficient] = [11, 12, 13];
  const code = new Code();

  // Convert the new input to float32, 4 samples per step.
  code.localGet(count).i32Const(2).i32Shl().localSet(end); // byte offset of the end, in floats
  loopWhileBelow(code, at, end, () => {
    code.localGet(at).localGet(inAt).v128Load16x4S(UP_INPUT).f32x4ConvertI32x4S().v128Store(UP_SAMPLES + UP_HISTORY * 4);
    addTo(code, at, 16);
    addTo(code, inAt, 8);
  });

  // Filter: `at` is the window start for inputs m…m+7 (window position t is at + 4t).
  code.i32Const(0).localSet(at);
  loopWhileBelow(code, at, end, () => {
    const started = new Set<number>();
    for (let t = 0; t <= UP_HISTORY; t++) {
      code.localGet(at).v128Load(UP_SAMPLES + 4 * t).localSet(xLow);
      code.localGet(at).v128Load(UP_SAMPLES + 4 * t + 16).localSet(xHigh);
      for (let p = 0; p < RATIO; p++) {
        if (upCoefficient(p, t) === null) continue;
        code.i32Const(0).v128Load(UP_COEFFS + 16 * (p * UP_BRANCH_TAPS + t)).localSet(coefficient);
        for (const [half, x] of [[0, xLow], [1, xHigh]]) {
          const a = acc(p, half);
          if (started.has(a)) code.localGet(a);
          code.localGet(x).localGet(coefficient).f32x4Mul();
          if (started.has(a)) code.f32x4Add();
          code.localSet(a);
          started.add(a);
        }
      }
    }
    for (let p = 0; p < RATIO; p++) for (const half of [0, 1]) roundInPlace(code, acc(p, half));
    // Narrow each branch to 8 int16 (branch p's lanes i = output 3(m+i)+p) …
    const narrowed = [acc(0, 0), acc(1, 0), acc(2, 0)];
    for (let p = 0; p < RATIO; p++) code.localGet(acc(p, 0)).localGet(acc(p, 1)).i16x8NarrowI32x4S().localSet(narrowed[p]);
    // … and interleave a0 b0 c0 a1 b1 c1 … over three vectors, two shuffles each.
    const [a, b, c] = narrowed;
    const interleave = [
      { ab: [0, 8, -1, 1, 9, -1, 2, 10], withC: [0, 1, 8, 3, 4, 9, 6, 7] },
      { ab: [-1, 3, 11, -1, 4, 12, -1, 5], withC: [10, 1, 2, 11, 4, 5, 12, 7] },
      { ab: [13, -1, 6, 14, -1, 7, 15, -1], withC: [0, 13, 2, 3, 14, 5, 6, 15] },
    ];
    interleave.forEach(({ ab, withC }, i) => {
      code.localGet(outAt).localGet(a).localGet(b).i8x16Shuffle(int16Lanes(ab));
      code.localGet(c).i8x16Shuffle(int16Lanes(withC)).v128Store(UP_OUTPUT + 16 * i);
    });
    addTo(code, at, 4 * STEP);
    addTo(code, outAt, 2 * RATIO * STEP);
  });
  keepHistory(code, UP_SAMPLES, UP_HISTORY, count);
  return code;
}

/** Moves the last `history` samples (those after local `count` new ones) to the front of the region, for the next call. */
function keepHistory(code: Code, region: number, history: number, count: number): void {
  code.i32Const(region).localGet(count).i32Const(2).i32Shl().i32Const(region).i32Add().i32Const(4 * history).memoryCopy();
}

/** downsample(outputs): DOWN_INPUT int16 (3 per output) → 3 float32 phases (after their history) → DOWN_OUTPUT. */
function downsampleFunction(): Code {
  const [outputs, end, inAt, at, outAt] = [0, 1, 2, 3, 4];
  const acc = (sum: number, half: number) => 5 + 2 * sum + half; // 6 accumulators
  const [v0, v1, v2, x, coefficient] = [11, 12, 13, 14, 15];
  const code = new Code();

  // Split 8 groups (24 samples, three vectors) per step into the 3 phases, as float32.
  const split = [
    { first: [0, 3, 6, 9, 12, 15, -1, -1], second: [0, 1, 2, 3, 4, 5, 10, 13] },
    { first: [1, 4, 7, 10, 13, -1, -1, -1], second: [0, 1, 2, 3, 4, 8, 11, 14] },
    { first: [2, 5, 8, 11, 14, -1, -1, -1], second: [0, 1, 2, 3, 4, 9, 12, 15] },
  ];
  code.localGet(outputs).i32Const(2).i32Shl().localSet(end);
  loopWhileBelow(code, at, end, () => {
    code.localGet(inAt).v128Load(DOWN_INPUT).localSet(v0);
    code.localGet(inAt).v128Load(DOWN_INPUT + 16).localSet(v1);
    code.localGet(inAt).v128Load(DOWN_INPUT + 32).localSet(v2);
    split.forEach(({ first, second }, phase) => {
      code.localGet(v0).localGet(v1).i8x16Shuffle(int16Lanes(first));
      code.localGet(v2).i8x16Shuffle(int16Lanes(second)).localSet(x);
      const target = DOWN_PHASES + phase * DOWN_PHASE_STRIDE + DOWN_HISTORY * 4;
      code.localGet(at).localGet(x).i32x4ExtendLowI16x8S().f32x4ConvertI32x4S().v128Store(target);
      code.localGet(at).localGet(x).i32x4ExtendHighI16x8S().f32x4ConvertI32x4S().v128Store(target + 16);
    });
    addTo(code, at, 4 * STEP);
    addTo(code, inAt, 2 * RATIO * STEP);
  });

  // Filter: `at` is the window start for outputs m…m+7 in every phase.
  code.i32Const(0).localSet(at);
  loopWhileBelow(code, at, end, () => {
    const started = new Set<number>();
    DOWN_TERMS.forEach(({ reads }, i) => {
      code.i32Const(0).v128Load(DOWN_COEFFS + 16 * i).localSet(coefficient);
      for (const half of [0, 1]) {
        const a = acc(i % RATIO, half); // three sums per half, so additions overlap
        if (started.has(a)) code.localGet(a);
        reads.forEach(({ phase, t }, n) => {
          code.localGet(at).v128Load(DOWN_PHASES + phase * DOWN_PHASE_STRIDE + 4 * t + 16 * half);
          if (n > 0) code.f32x4Add();
        });
        code.localGet(coefficient).f32x4Mul();
        if (started.has(a)) code.f32x4Add();
        code.localSet(a);
        started.add(a);
      }
    });
    for (const half of [0, 1]) {
      code.localGet(acc(0, half)).localGet(acc(1, half)).f32x4Add().localGet(acc(2, half)).f32x4Add().localSet(acc(0, half));
      roundInPlace(code, acc(0, half));
    }
    code.localGet(outAt).localGet(acc(0, 0)).localGet(acc(0, 1)).i16x8NarrowI32x4S().v128Store(DOWN_OUTPUT);
    addTo(code, at, 4 * STEP);
    addTo(code, outAt, 2 * STEP);
  });
  for (let phase = 0; phase < RATIO; phase++) keepHistory(code, DOWN_PHASES + phase * DOWN_PHASE_STRIDE, DOWN_HISTORY, outputs);
  return code;
}

export interface SimdKernels {
  upsample(count: number): void;
  downsample(outputs: number): void;
  /** The kernels' whole memory, as int16 (inputs are staged and outputs read through it). */
  readonly int16: Int16Array;
  /** The interpolator's history, at the front of its sample region. */
  readonly upHistory: Float32Array;
  /** Each decimator phase's history, at the front of its region. */
  readonly downHistory: Float32Array[];
  /** The first `length` interpolator / decimator outputs (views cached: frames repeat their length). */
  upOutput(length: number): Int16Array;
  downOutput(length: number): Int16Array;
}

/** subarray(start, start + length) of `array`, reusing the last view when the length repeats. */
function cachedViews(array: Int16Array, start: number): (length: number) => Int16Array {
  let last = array.subarray(start, start);
  return (length) => (last.length === length ? last : (last = array.subarray(start, start + length)));
}

function instantiate(): SimdKernels | null {
  const littleEndian = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;
  if (!littleEndian || typeof WebAssembly !== 'object') return null; // the typed-array views assume WebAssembly's byte order
  const bytes = assembleModule(PAGES, [
    { name: 'upsample', params: 1, i32Locals: 4, v128Locals: 9, body: upsampleFunction() },
    { name: 'downsample', params: 1, i32Locals: 4, v128Locals: 11, body: downsampleFunction() },
  ]);
  if (!WebAssembly.validate(bytes)) return null; // no SIMD support in this engine
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes));
  const wasm = instance.exports as { memory: { buffer: ArrayBuffer }; upsample(n: number): void; downsample(n: number): void };
  const float32 = new Float32Array(wasm.memory.buffer);
  // Each coefficient stored 4 times (one vector), so the kernels load it ready to multiply.
  const splat = (address: number, value: number | null) => float32.fill(value ?? 0, address / 4, address / 4 + 4);
  for (let p = 0; p < RATIO; p++) {
    for (let t = 0; t <= UP_HISTORY; t++) splat(UP_COEFFS + 16 * (p * UP_BRANCH_TAPS + t), upCoefficient(p, t));
  }
  DOWN_TERMS.forEach(({ coefficient }, i) => splat(DOWN_COEFFS + 16 * i, coefficient));
  const int16 = new Int16Array(wasm.memory.buffer);
  return {
    upsample: wasm.upsample,
    downsample: wasm.downsample,
    int16,
    upHistory: float32.subarray(UP_SAMPLES / 4, UP_SAMPLES / 4 + UP_HISTORY),
    downHistory: Array.from({ length: RATIO }, (_, phase) => {
      const start = DOWN_PHASES / 4 + phase * DOWN_PHASE_FLOATS;
      return float32.subarray(start, start + DOWN_HISTORY);
    }),
    upOutput: cachedViews(int16, UP_OUTPUT / 2),
    downOutput: cachedViews(int16, DOWN_OUTPUT / 2),
  };
}

/** Which implementation a resampler runs: the WebAssembly SIMD kernels, or plain JavaScript (float64). */
export type ResamplerKernel = 'wasm-simd' | 'js';

let kernels: SimdKernels | null | undefined;

/** The shared kernels, or null where WebAssembly SIMD is unavailable (or the host is big-endian). */
export function simdKernels(): SimdKernels | null {
  if (kernels === undefined) kernels = instantiate();
  return kernels;
}

/** The fastest kernel this engine supports. */
export function bestKernel(): ResamplerKernel {
  return simdKernels() ? 'wasm-simd' : 'js';
}

/** The shared kernels, or a clear error when a caller insists on them where they cannot run. */
export function requireSimdKernels(): SimdKernels {
  const k = simdKernels();
  if (!k) throw new Error('WebAssembly SIMD resampler kernels are not available here (no SIMD support, or a big-endian host)');
  return k;
}
