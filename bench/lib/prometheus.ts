/** Reads Gatehouse's /metrics (Prometheus text format) into numbers the scenarios compare before and after. */
import { request } from 'undici';

export type Samples = Map<string, number>;

/** Fetches and parses a /metrics page: key `name{labels}` (labels as printed) -> value. */
export async function scrape(url: string): Promise<Samples> {
  const res = await request(url, { headersTimeout: 5000, bodyTimeout: 5000 });
  const text = await res.body.text();
  const out: Samples = new Map();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const cut = line.lastIndexOf(' ');
    out.set(line.slice(0, cut), Number(line.slice(cut + 1)));
  }
  return out;
}

/** Sum of every series of `name` whose labels contain all of `match` (e.g. `reason="unknown"`). */
export function sum(samples: Samples, name: string, ...match: string[]): number {
  let total = 0;
  for (const [key, value] of samples) {
    const base = key.includes('{') ? key.slice(0, key.indexOf('{')) : key;
    if (base === name && match.every((m) => key.includes(m))) total += value;
  }
  return total;
}

/** after - before for one metric (counter deltas over a phase). */
export function delta(before: Samples, after: Samples, name: string, ...match: string[]): number {
  return sum(after, name, ...match) - sum(before, name, ...match);
}

/**
 * The q-quantile (0..1) of a histogram's observations between two scrapes, interpolated linearly inside the bucket it
 * falls in, as Prometheus's histogram_quantile does; NaN when nothing was observed. `match` narrows the series.
 */
export function quantileBetween(before: Samples, after: Samples, name: string, q: number, ...match: string[]): number {
  const buckets = new Map<number, number>();
  for (const [key, value] of after) {
    if (!key.startsWith(`${name}_bucket{`) || !match.every((m) => key.includes(m))) continue;
    const le = /le="([^"]+)"/.exec(key)?.[1];
    if (le === undefined) continue;
    const bound = le === '+Inf' ? Infinity : Number(le);
    buckets.set(bound, (buckets.get(bound) ?? 0) + value - (before.get(key) ?? 0));
  }
  const sorted = [...buckets].sort((a, b) => a[0] - b[0]);
  const total = sorted.at(-1)?.[1] ?? 0;
  if (total <= 0) return NaN;
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (const [bound, count] of sorted) {
    if (count >= rank) {
      if (bound === Infinity) return lower;
      return lower + (bound - lower) * ((rank - below) / Math.max(count - below, 1e-9));
    }
    lower = bound;
    below = count;
  }
  return lower;
}
