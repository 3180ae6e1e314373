// Seeded PRNG for tests (mulberry32): reproducible random data and mutations.
export function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}
/** Uniform floats in [0, 1). */
export const uniform = (seed) => { const next = mulberry32(seed); return () => next() / 4294967296; };
/** Integers in [0, n). */
export const below = (seed) => { const next = mulberry32(seed); return (n) => next() % n; };
