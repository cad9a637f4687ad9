import { readFileSync } from 'node:fs';

/** The package version, read from package.json beside dist/ (once per process). */
export function packageVersion(): string {
  cached ??= (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  return cached;
}
let cached: string | undefined;
