// Every way a database can be "not there", on every driver, ends the same way: the store raises the typed
// StoreDown (StoreBusy for SQLite's lock contention) and a login answers 503 with Retry-After, never a 500; when
// the database is back, the next login works without a restart. The databases that go away are private servers
// (test/helpers/private-databases.ts) reached through a TCP gate that can reset or black-hole the link; SQLite's
// disk fills up on a small tmpfs of its own.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import mysql from 'mysql2/promise';
import Database from 'better-sqlite3';
import { storageSchema } from '../../src/store/index.js';
import { StoreBusyError, StoreDownError } from '../../src/errors/index.js';
import { startFullGatehouse, type FullGatehouse } from '../helpers/full-gatehouse.js';
import { send, startUpstream, type Answer, type TestUpstream } from '../helpers/core-net.js';
import { privateServerUnavailable, startPrivateServer, type PrivateServer } from '../helpers/private-databases.js';
import { startTcpGate, type TcpGate } from '../helpers/tcp-gate.js';
import { sqliteDatabase, type TestDatabase } from './databases.js';

const PASSWORD = 'a long enough passphrase';
const EMAIL = 'outage@example.com';
const ROUTES = [{ name: 'public', match: { path: '/' }, policy: 'public', upstream: 'app' }];

/** One way for the database to go away, and how to bring it back. */
interface Outage {
  name: string;
  induce(): Promise<void>;
  restore(): Promise<void>;
  /** A store call that must fail with the typed error while the outage lasts. */
  storeCall(gh: FullGatehouse): Promise<unknown>;
  expected?: 'down' | 'busy';
}

function login(gh: FullGatehouse): Promise<Answer> {
  return send(gh.port, {
    method: 'POST', path: '/.gatehouse/login', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: EMAIL, password: PASSWORD }), timeoutMs: 20_000,
  });
}

async function register(gh: FullGatehouse): Promise<void> {
  const reg = await send(gh.port, {
    method: 'POST', path: '/.gatehouse/register', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: EMAIL, password: PASSWORD }),
  });
  assert.equal(reg.status, 202, reg.body);
}

/** The checks every outage gets: the typed error from the store, and 503 + Retry-After from a login. */
function outageTests(label: string, setup: () => Promise<{ gh: FullGatehouse; outages: Outage[] }>, names: readonly string[]): void {
  describe(label, () => {
    let gh: FullGatehouse;
    let outages: Outage[];
    before(async () => {
      ({ gh, outages } = await setup());
      await register(gh);
    });
    for (const name of names) {
      test(`${name}: the store raises the typed error, a login answers 503 + Retry-After, and recovers`, async () => {
        const outage = outages.find((o) => o.name === name)!;
        const want = outage.expected === 'busy' ? StoreBusyError : StoreDownError;
        await outage.induce();
        try {
          await assert.rejects(outage.storeCall(gh), (e: Error) => {
            assert.ok(e instanceof want, `expected ${want.name}, got ${e.constructor.name}: ${e.message} (${(e as StoreDownError).detail ?? ''})`);
            return true;
          });
          const answer = await login(gh);
          assert.equal(answer.status, 503, `login during "${name}": ${answer.body}`);
          assert.ok(Number(answer.headers['retry-after']) >= 1, 'Retry-After on the 503');
          const body = JSON.parse(answer.body) as { code: string; error: string };
          assert.equal(body.code, outage.expected === 'busy' ? 'GATE_ERR_STORE_BUSY' : 'GATE_ERR_STORE_DOWN');
          assert.equal(body.error, 'unavailable');
        } finally {
          await outage.restore();
        }
        // Back without a restart: the first login after the outage works (the pools drop dead connections).
        let again = await login(gh);
        for (let i = 0; i < 20 && again.status === 503; i++) {
          await new Promise((r) => setTimeout(r, 250));
          again = await login(gh);
        }
        assert.equal(again.status, 200, `login after "${name}": ${again.body}`);
      });
    }
  });
}

const PG_OUTAGES = ['server stopped (connection refused)', 'connections reset', 'not accepting connections (ALLOW_CONNECTIONS false, open ones ended)',
  'too many connections', 'server stops answering (timeout)', 'read-only standby (failover)'] as const;
const MYSQL_OUTAGES = ['server stopped (connection refused)', 'connections reset', 'login refused (password rotated, open ones killed)',
  'too many connections', 'server stops answering (timeout)', 'read-only replica (failover)'] as const;

for (const kind of ['postgres', 'mysql'] as const) {
  const unavailable = privateServerUnavailable(kind);
  if (unavailable !== undefined) {
    if (process.env.CI === 'true') test(`store down [${kind}] (required under CI)`, () => { throw new Error(unavailable); });
    else test.skip(`store down [${kind}] (${unavailable})`);
    continue;
  }
  let server: PrivateServer | undefined;
  let gate: TcpGate | undefined;
  let db: TestDatabase | undefined;
  let upstream: TestUpstream | undefined;
  let gh: FullGatehouse | undefined;
  const cleanups: (() => Promise<unknown>)[] = [];
  after(async () => {
    await gh?.stop().catch(() => undefined);
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    await gate?.close();
    await upstream?.close();
    await server?.destroy();
  });

  const start = async (url: string, overrides: Record<string, unknown> = {}): Promise<FullGatehouse> => {
    upstream = await startUpstream('app');
    const gated = new URL(url);
    gated.port = String(gate!.port);
    const config = storageSchema.parse({
      driver: kind,
      [kind]: { url: gated.toString(), pool_max: 3, acquire_timeout: '1s', query_timeout: '1500ms' },
    });
    gh = await startFullGatehouse({ ...db!, config }, { app: upstream.url }, ROUTES, {
      sessions: { cookie: { secure: false, name: 'gh_session' } },
      auth: { local: { registration: 'open' }, throttle: { max_failures_per_account: 1000, max_failures_per_ip: 1000 } },
      ...overrides,
    });
    return gh;
  };

  if (kind === 'postgres') {
    outageTests('store down [postgres]', async () => {
      server = await startPrivateServer('postgres');
      gate = await startTcpGate(server.port);
      db = await server.createDatabase();
      const database = new URL(db.config.postgres.url).pathname.slice(1);
      // A fresh admin connection each time: the first outage stops the server under any long-lived one.
      const admin = {
        async query(sql: string, params: unknown[] = []): Promise<unknown> {
          const c = new pg.Client({ connectionString: server!.url });
          c.on('error', () => undefined);
          await c.connect();
          try { return await c.query(sql, params); } finally { await c.end().catch(() => undefined); }
        },
      };
      const terminate = () => admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [database]);
      // Gatehouse connects as an ordinary role (owner of its database), as in production: role limits apply to it.
      await admin.query('CREATE ROLE gh LOGIN');
      await admin.query(`ALTER DATABASE ${database} OWNER TO gh`);
      const url = new URL(db.config.postgres.url);
      url.username = 'gh';
      const full = await start(url.toString());
      const read = (g: FullGatehouse) => g.store.users.getByEmail(EMAIL);
      const write = (g: FullGatehouse) => g.store.settings.putIfAbsent(`outage-${Math.random()}`, 'x');
      const outages: Outage[] = [
        { name: PG_OUTAGES[0], induce: () => server!.stop(), restore: () => server!.start(), storeCall: read },
        { name: PG_OUTAGES[1], induce: async () => gate!.set('reset'), restore: async () => gate!.set('pass'), storeCall: read },
        {
          name: PG_OUTAGES[2],
          induce: async () => { await admin.query(`ALTER DATABASE ${database} ALLOW_CONNECTIONS false`); await terminate(); },
          restore: async () => { await admin.query(`ALTER DATABASE ${database} ALLOW_CONNECTIONS true`); },
          storeCall: read,
        },
        {
          // The server refuses new sessions with 53300 (max_connections or a connection limit reached): here the
          // limit of Gatehouse's role, so the shared slots of everyone else are not raced for.
          name: PG_OUTAGES[3],
          induce: async () => { await admin.query('ALTER ROLE gh CONNECTION LIMIT 0'); await terminate(); },
          restore: async () => { await admin.query('ALTER ROLE gh CONNECTION LIMIT -1'); },
          storeCall: read,
        },
        { name: PG_OUTAGES[4], induce: async () => gate!.set('blackhole'), restore: async () => gate!.set('pass'), storeCall: read },
        {
          name: PG_OUTAGES[5],
          induce: async () => { await admin.query(`ALTER DATABASE ${database} SET default_transaction_read_only = on`); await terminate(); },
          restore: async () => { await admin.query(`ALTER DATABASE ${database} RESET default_transaction_read_only`); await terminate(); },
          storeCall: write,
        },
      ];
      return { gh: full, outages };
    }, PG_OUTAGES);

    test('store down [postgres]: a connection ended in the middle of a transaction is StoreDown', async () => {
      const database = new URL(gh!.config.storage.postgres.url).pathname.slice(1);
      const admin = new pg.Client({ connectionString: server!.url });
      await admin.connect();
      try {
        const failed = gh!.store.transaction(async (repos) => {
          await repos.users.count();
          await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [database]);
          await new Promise((r) => setTimeout(r, 100));
          return repos.users.count();
        });
        await assert.rejects(failed, (e: Error) => e instanceof StoreDownError);
      } finally {
        await admin.end();
      }
      assert.equal((await login(gh!)).status, 200, 'the next login works');
    });
  } else {
    outageTests('store down [mysql]', async () => {
      server = await startPrivateServer('mysql', { maxConnections: 10 });
      gate = await startTcpGate(server.port);
      db = await server.createDatabase();
      const database = new URL(db.config.mysql.url).pathname.slice(1);
      // A fresh admin connection each time: the first outage stops the server under any long-lived one.
      const admin = {
        async query<T = unknown>(sql: string): Promise<[T]> {
          const c = await mysql.createConnection({ uri: server!.url });
          c.on('error', () => undefined);
          try { return await c.query(sql) as unknown as [T]; } finally { await c.end().catch(() => undefined); }
        },
      };
      // Gatehouse connects as an ordinary user: read_only and a changed password apply to it (root bypasses both).
      await admin.query(`CREATE USER 'gh'@'127.0.0.1' IDENTIFIED BY 'first-password'`);
      await admin.query(`GRANT ALL ON ${database}.* TO 'gh'@'127.0.0.1'`);
      const killAll = async (): Promise<void> => {
        const [rows] = await admin.query<mysql.RowDataPacket[]>("SELECT id FROM information_schema.processlist WHERE user = 'gh'");
        for (const r of rows) await admin.query(`KILL ${Number(r.id)}`).catch(() => undefined);
      };
      const hogs: mysql.Connection[] = [];
      const url = new URL(db.config.mysql.url);
      url.username = 'gh';
      url.password = 'first-password';
      const full = await start(url.toString());
      const read = (g: FullGatehouse) => g.store.users.getByEmail(EMAIL);
      const write = (g: FullGatehouse) => g.store.settings.putIfAbsent(`outage-${Math.random()}`, 'x');
      const outages: Outage[] = [
        { name: MYSQL_OUTAGES[0], induce: () => server!.stop(), restore: () => server!.start(), storeCall: read },
        { name: MYSQL_OUTAGES[1], induce: async () => gate!.set('reset'), restore: async () => gate!.set('pass'), storeCall: read },
        {
          name: MYSQL_OUTAGES[2],
          induce: async () => { await admin.query(`ALTER USER 'gh'@'127.0.0.1' IDENTIFIED BY 'rotated-password'`); await killAll(); },
          restore: async () => { await admin.query(`ALTER USER 'gh'@'127.0.0.1' IDENTIFIED BY 'first-password'`); },
          storeCall: read,
        },
        {
          // The server refuses new sessions (1040 max_connections, 1203/1226 connection limits): here the limit of
          // Gatehouse's account, held by a connection of the test's own, so no other session races for the slot.
          name: MYSQL_OUTAGES[3],
          induce: async () => {
            // The limit counts connections opened after it was set: set it, take the one slot, end the rest.
            await admin.query(`ALTER USER 'gh'@'127.0.0.1' WITH MAX_USER_CONNECTIONS 1`);
            for (let attempt = 0; hogs.length === 0; attempt++) {
              try {
                const hog = await mysql.createConnection({ uri: url.toString() });
                hog.on('error', () => undefined);
                hogs.push(hog);
              } catch (err) {
                // Gatehouse's pool opened a connection first and holds the slot: end it and take the slot again.
                assert.ok(attempt < 5, `could not take the one slot: ${String(err)}`);
                await killAll();
              }
            }
            const [[row]] = await hogs[0]!.query<mysql.RowDataPacket[]>('SELECT CONNECTION_ID() AS id');
            const [rows] = await admin.query<mysql.RowDataPacket[]>(`SELECT id FROM information_schema.processlist WHERE user = 'gh' AND id <> ${Number(row!['id'])}`);
            for (const r of rows) await admin.query(`KILL ${Number(r.id)}`).catch(() => undefined);
          },
          restore: async () => {
            await admin.query(`ALTER USER 'gh'@'127.0.0.1' WITH MAX_USER_CONNECTIONS 0`);
            for (const c of hogs.splice(0)) await c.end().catch(() => undefined);
          },
          storeCall: read,
        },
        { name: MYSQL_OUTAGES[4], induce: async () => gate!.set('blackhole'), restore: async () => gate!.set('pass'), storeCall: read },
        {
          name: MYSQL_OUTAGES[5],
          induce: async () => { await admin.query('SET GLOBAL read_only = 1'); },
          restore: async () => { await admin.query('SET GLOBAL read_only = 0'); },
          storeCall: write,
        },
      ];
      return { gh: full, outages };
    }, MYSQL_OUTAGES);

    test('store down [mysql]: a connection killed in the middle of a transaction is StoreDown', async () => {
      const admin = await mysql.createConnection({ uri: server!.url });
      try {
        const failed = gh!.store.transaction(async (repos) => {
          await repos.users.count();
          const [rows] = await admin.query<mysql.RowDataPacket[]>("SELECT id FROM information_schema.processlist WHERE user = 'gh'");
          for (const r of rows) await admin.query(`KILL ${Number(r.id)}`).catch(() => undefined);
          await new Promise((r) => setTimeout(r, 100));
          return repos.users.count();
        });
        await assert.rejects(failed, (e: Error) => e instanceof StoreDownError);
      } finally {
        await admin.end();
      }
      assert.equal((await login(gh!)).status, 200, 'the next login works');
    });
  }
}

// ---- SQLite: another process holding the write lock (busy), and a full disk (an I/O failure) ----
describe('store down [sqlite]', () => {
  const cleanups: (() => Promise<unknown> | unknown)[] = [];
  after(async () => { for (const c of cleanups.reverse()) await c(); });

  const startOn = async (db: TestDatabase): Promise<FullGatehouse> => {
    const upstream = await startUpstream('app');
    cleanups.push(() => upstream.close());
    const gh = await startFullGatehouse(db, { app: upstream.url }, ROUTES, {
      sessions: { cookie: { secure: false, name: 'gh_session' } },
      auth: { local: { registration: 'open' }, throttle: { max_failures_per_account: 1000, max_failures_per_ip: 1000 } },
    });
    cleanups.push(() => gh.stop());
    return gh;
  };

  outageTests('store down [sqlite] busy', async () => {
    const db = sqliteDatabase(500);
    cleanups.push(() => db.drop());
    const gh = await startOn(db);
    let holder: Database.Database | undefined;
    return {
      gh,
      outages: [{
        name: 'another process holds the write lock (busy)',
        expected: 'busy',
        induce: async () => {
          holder = new Database(db.config.sqlite.path);
          holder.exec('BEGIN IMMEDIATE');
        },
        restore: async () => { holder?.exec('COMMIT'); holder?.close(); },
        storeCall: (g) => g.store.settings.putIfAbsent(`busy-${Math.random()}`, 'x'),
      }],
    };
  }, ['another process holds the write lock (busy)']);

  // A tmpfs of its own, so "the disk is full" is real and touches nothing else. Needs root (mount).
  const mountDir = mkdtempSync(join(tmpdir(), 'gh-sqlite-tmpfs-'));
  let mounted = false;
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', mountDir], { stdio: 'pipe', timeout: 10_000 });
    mounted = true;
  } catch (err) {
    rmSync(mountDir, { recursive: true, force: true });
    const why = `cannot mount a tmpfs (${String((err as Error).message).split('\n')[0]})`;
    if (process.env.CI === 'true') test('store down [sqlite] disk full (required under CI)', () => { throw new Error(why); });
    else test.skip(`store down [sqlite] disk full: ${why}`);
  }
  if (mounted) {
    cleanups.unshift(() => {
      execFileSync('umount', ['-l', mountDir], { stdio: 'pipe', timeout: 10_000 });
      rmSync(mountDir, { recursive: true, force: true });
    });
    outageTests('store down [sqlite] disk full', async () => {
      const path = join(mountDir, 'gatehouse.db');
      const db: TestDatabase = {
        config: storageSchema.parse({ driver: 'sqlite', sqlite: { path, busy_timeout: '1s' } }),
        exec: async () => undefined,
        drop: async () => undefined,
      };
      const gh = await startOn(db);
      const filler = join(mountDir, 'filler');
      return {
        gh,
        outages: [{
          name: 'the disk is full (an I/O failure)',
          induce: async () => {
            // An empty WAL first, so the next write must grow a file; then take every free byte.
            const side = new Database(path);
            side.pragma('wal_checkpoint(TRUNCATE)');
            side.close();
            const fd = openSync(filler, 'w');
            const chunk = Buffer.alloc(64 * 1024, 1);
            try {
              for (;;) writeSync(fd, chunk);
            } catch (err) {
              assert.equal((err as NodeJS.ErrnoException).code, 'ENOSPC');
            } finally {
              closeSync(fd);
            }
          },
          restore: async () => { writeFileSync(filler, ''); rmSync(filler, { force: true }); },
          storeCall: (g) => g.store.settings.putIfAbsent(`full-${Math.random()}`, 'x'.repeat(8192)),
        }],
      };
    }, ['the disk is full (an I/O failure)']);
  }
});
