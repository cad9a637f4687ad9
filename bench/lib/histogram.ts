/**
 * A log-linear latency histogram in the spirit of HdrHistogram: exact below 256 µs, then 128 sub-buckets per power
 * of two (under 0.8% relative error), so memory stays a few KiB however many samples a phase records. Values are
 * microseconds; anything past ~17 minutes lands in the last bucket.
 */
const SUB_BITS = 7;
const SUB = 1 << SUB_BITS; // 128
const LINEAR = SUB * 2; // 256: values below this are recorded exactly
const MAX_SHIFT = 23;
const BUCKETS = LINEAR + MAX_SHIFT * SUB;

export interface LatencySummary {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

export class Histogram {
  readonly #counts = new Float64Array(BUCKETS);
  #count = 0;
  #sum = 0;
  #max = 0;

  /** Records one value in milliseconds. */
  recordMs(ms: number): void {
    const us = Math.max(0, Math.round(ms * 1000));
    this.#counts[indexOf(us)]!++;
    this.#count++;
    this.#sum += us;
    if (us > this.#max) this.#max = us;
  }

  get count(): number {
    return this.#count;
  }

  /** The value (ms) at percentile p (0..100): the midpoint of the bucket holding that rank. */
  percentileMs(p: number): number {
    if (this.#count === 0) return NaN;
    const rank = Math.max(1, Math.ceil((p / 100) * this.#count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.#counts[i]!;
      if (seen >= rank) return Math.min(valueOf(i), this.#max) / 1000;
    }
    return this.#max / 1000;
  }

  summary(): LatencySummary {
    return {
      count: this.#count,
      p50: this.percentileMs(50),
      p95: this.percentileMs(95),
      p99: this.percentileMs(99),
      max: this.#count === 0 ? NaN : this.#max / 1000,
      mean: this.#count === 0 ? NaN : this.#sum / this.#count / 1000,
    };
  }
}

function indexOf(us: number): number {
  if (us < LINEAR) return us;
  const msb = Math.floor(Math.log2(us));
  const shift = Math.min(msb - SUB_BITS, MAX_SHIFT);
  const sub = Math.min(Math.floor(us / 2 ** shift), 2 * SUB - 1); // 128..255
  return Math.min(LINEAR + (shift - 1) * SUB + (sub - SUB), BUCKETS - 1);
}

function valueOf(index: number): number {
  if (index < LINEAR) return index;
  const shift = Math.floor((index - LINEAR) / SUB) + 1;
  const sub = ((index - LINEAR) % SUB) + SUB;
  return sub * 2 ** shift + 2 ** (shift - 1); // bucket midpoint
}
