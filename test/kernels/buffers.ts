// Test buffers shared by the kernel specs: seeded random data, and buffers with guard values on both sides so
// a kernel writing past its output (or scratch, or packed weights) is caught.

let seed: u32 = 1;
/** Restarts the PRNG, so each spec's data does not depend on which specs ran before it. */
export function reseed(s: u32): void { seed = s; }
/** Uniform in [-1, 1). */
export function rnd(): f32 { seed = seed * 1664525 + 1013904223; return <f32>((seed >>> 8) * (1.0 / 16777216.0)) * 2 - 1; }

export const GUARD: i32 = 8;
export const SENTINEL: f32 = -1234.5;

/** n floats surrounded by GUARD sentinels on each side; the data starts at data(b). */
export function guarded(n: i32): StaticArray<f32> {
  const b = new StaticArray<f32>(n + 2 * GUARD);
  for (let i = 0; i < b.length; i++) b[i] = SENTINEL;
  return b;
}
export function random(n: i32): StaticArray<f32> {
  const b = guarded(n);
  for (let i = 0; i < n; i++) b[GUARD + i] = rnd();
  return b;
}
export function data(b: StaticArray<f32>): usize { return changetype<usize>(b) + (<usize>GUARD << 2); }
export function at(b: StaticArray<f32>, i: i32): f32 { return b[GUARD + i]; }
export function guards_intact(b: StaticArray<f32>, n: i32): bool {
  for (let i = 0; i < GUARD; i++) if (b[i] != SENTINEL || b[GUARD + n + i] != SENTINEL) return false;
  return true;
}
export function copy(b: StaticArray<f32>): StaticArray<f32> {
  const c = new StaticArray<f32>(b.length);
  for (let i = 0; i < b.length; i++) c[i] = b[i];
  return c;
}
/** Bit-for-bit equality (NaN payloads and -0 included). */
export function same(a: StaticArray<f32>, b: StaticArray<f32>): bool {
  for (let i = 0; i < a.length; i++) if (reinterpret<u32>(a[i]) != reinterpret<u32>(b[i])) return false;
  return true;
}

/** Room for `floats` floats flush against the end of linear memory, in fresh pages the allocator does not own. */
export function atMemoryEnd(floats: i32): usize {
  const bytes = <usize>max(floats, 0) << 2;
  const pages = <i32>((bytes + 0xffff) >> 16) + 1;
  const before = memory.grow(pages);
  if (before < 0) unreachable();
  return (<usize>(before + pages) << 16) - bytes;
}
