import { SchemaTooNewError } from '../../errors/index.js';

/** One numbered schema change for one dialect: statements run in order. */
export interface Migration {
  version: number;
  name: string;
  statements: readonly string[];
}

/** A version recorded in `schema_migrations`. */
export interface AppliedMigration {
  version: number;
  name: string;
}

/**
 * Given what the database has applied, the migrations still to run, in order. Throws SchemaTooNewError when the
 * database is ahead of this code: running old code on a newer schema could corrupt data an upgrade relies on.
 */
export function pendingMigrations(all: readonly Migration[], appliedVersions: readonly number[]): Migration[] {
  const latest = all.reduce((max, m) => Math.max(max, m.version), 0);
  const newest = appliedVersions.reduce((max, v) => Math.max(max, v), 0);
  if (newest > latest) throw new SchemaTooNewError(newest, latest);
  const done = new Set(appliedVersions);
  return all.filter((m) => !done.has(m.version)).sort((a, b) => a.version - b.version);
}

/** The highest version among `all`. */
export function latestVersion(all: readonly Migration[]): number {
  return all.reduce((max, m) => Math.max(max, m.version), 0);
}
