/**
 * A small, fast, seedable PRNG (mulberry32): the same seed gives the same numbers, so a failing
 * random test, chaos run or demo can be repeated exactly from its seed.
 *
 * @example const random = seededRandom(42); const coin = random() < 0.5;
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
