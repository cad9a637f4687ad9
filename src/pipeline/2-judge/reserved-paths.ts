/** The path prefix that belongs to Gatehouse itself; nothing under it is ever forwarded. */
export const RESERVED_PREFIX = '/.gatehouse';

/** Whether a normalised path is Gatehouse's own (login, logout, OAuth, API). */
export function isReservedPath(path: string): boolean {
  return path === RESERVED_PREFIX || path.startsWith(`${RESERVED_PREFIX}/`);
}
