/**
 * A latency histogram with logarithmic buckets (1 % wide, 10 µs to ~2 min),
 * small enough to send between processes as JSON and merge.
 *
 * @module
 */

const LOWEST_MS = 0.01;
const GROWTH = 1.01;
const LOG_GROWTH = Math.log(GROWTH);

/** A histogram as it travels between processes. */
export interface HistogramJson {
  count: number;
  sum: number;
  min: number;
  max: number;
  /** Sparse buckets: `[index, count]`. */
  buckets: [number, number][];
}

/** Percentiles of a histogram, in milliseconds. */
export interface Summary {
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** Latencies in milliseconds, counted into 1 %-wide buckets. */
export class Histogram {
  readonly #counts = new Map<number, number>();
  count = 0;
  sum = 0;
  min = Infinity;
  max = -Infinity;

  /** Counts one value (negative values, from clock skew, count as 0). */
  record(ms: number): void {
    const v = ms > 0 ? ms : 0;
    const i = v <= LOWEST_MS
      ? 0
      : Math.floor(Math.log(v / LOWEST_MS) / LOG_GROWTH) + 1;
    this.#counts.set(i, (this.#counts.get(i) ?? 0) + 1);
    this.count++;
    this.sum += v;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
  }

  /** Adds another histogram's counts. */
  merge(other: HistogramJson): this {
    for (const [i, n] of other.buckets) {
      this.#counts.set(i, (this.#counts.get(i) ?? 0) + n);
    }
    this.count += other.count;
    this.sum += other.sum;
    if (other.count > 0) {
      this.min = Math.min(this.min, other.min);
      this.max = Math.max(this.max, other.max);
    }
    return this;
  }

  /** The value below which a fraction `q` of the values lie (±0.5 %). */
  quantile(q: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (const i of [...this.#counts.keys()].sort((a, b) => a - b)) {
      seen += this.#counts.get(i)!;
      if (seen >= rank) {
        const mid = i === 0
          ? LOWEST_MS
          : LOWEST_MS * GROWTH ** (i - 1) * Math.sqrt(GROWTH);
        return Math.min(Math.max(mid, this.min), this.max);
      }
    }
    return this.max;
  }

  /** Mean, p50, p90, p99 and max. */
  summary(): Summary {
    return {
      count: this.count,
      mean: this.count ? this.sum / this.count : 0,
      p50: this.quantile(0.5),
      p90: this.quantile(0.9),
      p99: this.quantile(0.99),
      max: this.count ? this.max : 0,
    };
  }

  toJSON(): HistogramJson {
    return {
      count: this.count,
      sum: this.sum,
      min: this.count ? this.min : 0,
      max: this.count ? this.max : 0,
      buckets: [...this.#counts],
    };
  }
}
