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
