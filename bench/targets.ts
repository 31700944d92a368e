/**
 * The performance targets of issue 18, each checked against what a run
 * measured: a figure (mostly a ratio to the baseline in the same run), the
 * most it may be, and whether it held.
 *
 * @module
 */

/** One target beside the figure a run measured. */
export interface Check {
  /** What is measured, e.g. "time until everyone joined, app / baseline". */
  what: string;
  /** The figure: a ratio, a count or frames per client. */
  measured: number;
  /** The most it may be; null for a figure shown without a target. */
  limit: number | null;
  /** `×` for a ratio to the baseline, otherwise empty. */
  unit: "×" | "";
  /** Where the figure comes from, in words (the two sides of a ratio). */
  detail: string;
  /** Whether it held (a figure without a target always holds). */
  pass: boolean;
}

/** A target: `measured` must be a number no larger than `limit`. */
export function atMost(
  what: string,
  measured: number,
  limit: number,
  unit: Check["unit"],
  detail: string,
): Check {
  return {
    what,
    measured,
    limit,
    unit,
    detail,
    pass: Number.isFinite(measured) && measured <= limit,
  };
}

/** A figure shown beside the targets without one of its own. */
export function shown(
  what: string,
  measured: number,
  unit: Check["unit"],
  detail: string,
): Check {
  return { what, measured, limit: null, unit, detail, pass: true };
}

/** `a / b`, NaN when `b` is not positive (a ratio that cannot hold). */
export function ratio(a: number, b: number): number {
  return b > 0 ? a / b : NaN;
}
