// better-sqlite3-session-store 0.1.0 dropped its TypeScript types; this is the one function it exports.
declare module 'better-sqlite3-session-store' {
  import type session from 'express-session';
  type Options = { client: import('better-sqlite3').Database; expired?: { clear?: boolean; intervalMs?: number } };
  export default function factory(s: typeof session): new (options: Options) => session.Store;
}
