// What the equivalence tests share: they check a fast writer or comparison against the one it replaced, on seeded
// random inputs, and print where two long texts part rather than the texts.

/** Where two long texts first differ (-1: nowhere), with a little context: a failure prints that, not megabytes. */
export function firstDifference(a: string, b: string): string | -1 {
  if (a === b) return -1
  let i = 0
  while (i < a.length && a[i] === b[i]) i++
  return `at ${i}: ${JSON.stringify(a.slice(Math.max(0, i - 80), i + 80))} vs ${JSON.stringify(b.slice(Math.max(0, i - 80), i + 80))}`
}

/** mulberry32: a small seeded generator, so a failure reproduces. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
