/**
 * Static memory plan: every intermediate value gets an offset in one arena. Values whose lifetimes
 * overlap never share bytes; the others reuse memory. Largest first, each at the lowest offset that
 * fits (the strategy of XNNPACK's memory-planner.c and ggml-alloc).
 */
export interface Interval { size: number; first: number; last: number } // first/last: step indices, inclusive

export function assignOffsets(values: Interval[], align = 64): { offsets: number[]; size: number } {
  const order = values.map((_, i) => i).sort((a, b) => values[b].size - values[a].size || a - b);
  const offsets = new Array<number>(values.length).fill(0);
  const placed: number[] = [];
  let size = 0;
  for (const i of order) {
    const v = values[i];
    const bytes = Math.ceil(v.size / align) * align;
    // Busy ranges among already placed values alive at the same time, by offset.
    const busy = placed
      .filter((j) => values[j].first <= v.last && v.first <= values[j].last)
      .map((j) => [offsets[j], offsets[j] + Math.ceil(values[j].size / align) * align])
      .sort((a, b) => a[0] - b[0]);
    let at = 0;
    for (const [lo, hi] of busy) {
      if (at + bytes <= lo) break;
      at = Math.max(at, hi);
    }
    offsets[i] = at;
    size = Math.max(size, at + bytes);
    placed.push(i);
  }
  return { offsets, size };
}
