import { GatehouseError } from '../errors/index.js';

/** A position in a list ordered by (time, id): the last row of the previous page. */
export type CursorKey = [number, string];

/** Encodes a page position; opaque to callers (base64url JSON). */
export function encodeCursor(key: CursorKey): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

/** Decodes a cursor from `encodeCursor`; a 400 error for anything a client tampered with. */
export function decodeCursor(cursor: string): CursorKey {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    // The id half reaches a query as a parameter: ids are short printable text, never control characters (which
    // PostgreSQL refuses with an error, not an empty page).
    if (Array.isArray(value) && value.length === 2 && Number.isSafeInteger(value[0]) && typeof value[1] === 'string' &&
      value[1].length <= 255 && !/[\u0000-\u001f\u007f-\u009f]/.test(value[1])) {
      return [value[0] as number, value[1]];
    }
  } catch {
    // fall through to the error below
  }
  throw new GatehouseError('GATE_ERR_BAD_REQUEST', 'invalid page cursor');
}

export const DEFAULT_PAGE = 50;
export const MAX_PAGE = 500;

/** The page size to use: the caller's, defaulted and clamped to 1..MAX_PAGE. */
export function pageLimit(limit: number | undefined): number {
  if (limit === undefined || !Number.isFinite(limit)) return DEFAULT_PAGE;
  return Math.min(MAX_PAGE, Math.max(1, Math.trunc(limit)));
}

/**
 * SQL and params for "after this cursor" in an ordered list. Ascending lists want rows after the key,
 * descending ones rows before it. Written without row-value comparison so MySQL uses the index.
 */
export function afterCursor(cursor: string | null | undefined, timeCol: string, idCol: string, desc: boolean): { sql: string; params: (string | number)[] } {
  if (!cursor) return { sql: '', params: [] };
  const [t, id] = decodeCursor(cursor);
  const op = desc ? '<' : '>';
  return { sql: ` AND (${timeCol} ${op} ? OR (${timeCol} = ? AND ${idCol} ${op} ?))`, params: [t, t, id] };
}

/** Cuts a fetched `limit + 1` rows into a page, computing the next cursor from the last row kept. */
export function toPage<T>(rows: T[], limit: number, key: (row: T) => CursorKey): { items: T[]; nextCursor: string | null } {
  if (rows.length <= limit) return { items: rows, nextCursor: null };
  const items = rows.slice(0, limit);
  return { items, nextCursor: encodeCursor(key(items[items.length - 1]!)) };
}
