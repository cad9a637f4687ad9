import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A mistake in how the command was called (unknown flag, missing value): exit code 2. */
export class UsageError extends Error {}

type FlagOptions = NonNullable<ParseArgsConfig['options']>;

/** Parses a command's flags strictly: unknown flags are a UsageError, not silently ignored. Every command has --help. */
export function parseFlags<T extends FlagOptions>(args: string[], options: T) {
  try {
    return parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' } } as T & { help: { type: 'boolean'; short: 'h' } }, strict: true as const, allowPositionals: false as const });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}
