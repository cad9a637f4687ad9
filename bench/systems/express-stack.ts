// System 4: the stack a Node developer would assemble from popular libraries, configured as their READMEs show:
// express, express-session with better-sqlite3-session-store (SQLite), passport-local verifying Argon2id hashes
// with @node-rs/argon2, and http-proxy-middleware in front of the upstream. One deviation from the minimal README
// examples: the proxy gets a keep-alive agent (http-proxy otherwise opens a TCP connection per request), so the
// comparison measures the auth stack, not TCP handshakes.
//
// Per authenticated request this stack does what its docs suggest: express-session reads the session row, passport
// deserializes the user (a users-table read), and express-session touches the session (an UPDATE) on the way out.
import { Agent, createServer } from 'node:http';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { verify } from '@node-rs/argon2';
import Database from 'better-sqlite3';
import express from 'express';
import session from 'express-session';
import passport from 'passport';
import { Strategy as LocalStrategy } from 'passport-local';
import { createProxyMiddleware } from 'http-proxy-middleware';
import sqliteStoreFactory from 'better-sqlite3-session-store';
import { request } from 'undici';
import {
  announce, cookieLogin, isMain, startNodeServer, type BenchUser, type RunningSystem, type SystemDefinition,
} from './system.js';

const FILE = fileURLToPath(import.meta.url);

export const expressStack: SystemDefinition = {
  name: 'express-stack', label: 'express + express-session (SQLite) + passport-local (Argon2) + http-proxy-middleware',
  async start(ctx): Promise<RunningSystem> {
    const seed = join(ctx.tmpDir, 'express-users.json');
    writeFileSync(seed, JSON.stringify({ hash: ctx.passwordHash, emails: ctx.users.map((u) => u.email) }));
    const db = join(ctx.tmpDir, 'express-stack.db');
    const { child, origin } = await startNodeServer('express-stack', FILE, ['--upstream', ctx.upstreamUrl, '--db', db, '--users', seed]);
    const body = (u: BenchUser): string => JSON.stringify({ email: u.email, password: u.password });
    return {
      name: this.name, label: this.label, origin, authenticates: true,
      pids: () => [child.pid],
      login: (u) => cookieLogin(origin, '/login', body(u)),
      loginRequest: { path: '/login', body },
      async loopDelayP99Ms() {
        const res = await request(`${origin}/__bench/loop-delay`, { headersTimeout: 5000 });
        return ((await res.body.json()) as { p99: number }).p99;
      },
      stop: () => child.stop(),
    };
  },
};

if (isMain(import.meta.url)) {
  const arg = (name: string): string => process.argv[process.argv.indexOf(name) + 1]!;
  const db = new Database(arg('--db'));
  db.exec('CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY, email TEXT UNIQUE NOT NULL, password_hash TEXT NOT NULL)');
  const seed = JSON.parse(readFileSync(arg('--users'), 'utf8')) as { hash: string; emails: string[] };
  const insert = db.prepare('INSERT OR IGNORE INTO users (email, password_hash) VALUES (?, ?)');
  db.transaction(() => { for (const e of seed.emails) insert.run(e, seed.hash); })();
  const byEmail = db.prepare('SELECT id, email, password_hash FROM users WHERE email = ?');
  const byId = db.prepare('SELECT id, email FROM users WHERE id = ?');

  // Event-loop delay, for the login storm's comparison (bench-only endpoint, outside the session stack).
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();

  passport.use(new LocalStrategy({ usernameField: 'email' }, (email, password, done) => {
    const user = byEmail.get(email) as { id: number; email: string; password_hash: string } | undefined;
    if (!user) return done(null, false);
    verify(user.password_hash, password).then((ok) => done(null, ok ? { id: user.id, email: user.email } : false), done);
  }));
  passport.serializeUser((user, done) => done(null, (user as { id: number }).id));
  passport.deserializeUser((id: number, done) => done(null, (byId.get(id) as Express.User | undefined) ?? false));

  const SqliteStore = sqliteStoreFactory(session);
  const app = express();
  app.get('/__bench/loop-delay', (_req, res) => {
    res.json({ p99: loop.percentile(99) / 1e6, max: loop.max / 1e6 });
    loop.reset();
  });
  app.use(session({
    store: new SqliteStore({ client: db, expired: { clear: true, intervalMs: 900_000 } }),
    secret: 'bench secret, not a real one',
    resave: false,
    saveUninitialized: false,
    cookie: { httpOnly: true, sameSite: 'lax', secure: false },
  }));
  app.use(passport.initialize());
  app.use(passport.session());
  app.post('/login', express.json(), passport.authenticate('local'), (_req, res) => { res.json({ ok: true }); });
  app.use((req, res, next) => {
    if (req.isAuthenticated()) next();
    else res.status(401).json({ error: 'unauthenticated' });
  });
  app.use(createProxyMiddleware({ target: arg('--upstream'), agent: new Agent({ keepAlive: true, maxSockets: 256 }) }));
  announce(createServer(app));
}
