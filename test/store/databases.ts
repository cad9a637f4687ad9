// Fresh, throw-away databases for the contract suite: one per run, created here and dropped after.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import mysql from 'mysql2/promise';
import { storageSchema, type StorageConfig } from '../../src/store/index.js';
import Database from 'better-sqlite3';

export const PG_URL = process.env.GATEHOUSE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const MYSQL_URL = process.env.GATEHOUSE_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';

/** A database the contract suite can use: its config, a raw statement runner, and how to drop it. */
export interface TestDatabase {
  config: StorageConfig;
  /** Runs one raw SQL statement outside the store (to fake a newer schema, say). */
  exec(sql: string): Promise<void>;
  drop(): Promise<void>;
}

function withUrl(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** A temporary SQLite file. */
export function sqliteDatabase(busyTimeoutMs = 3000): TestDatabase {
  const dir = mkdtempSync(join(tmpdir(), 'gh-store-'));
  const path = join(dir, 'gatehouse.db');
  return {
    config: storageSchema.parse({ driver: 'sqlite', sqlite: { path, busy_timeout: `${busyTimeoutMs}ms` } }),
    async exec(sql) {
      const db = new Database(path);
      try { db.exec(sql); } finally { db.close(); }
    },
    async drop() { rmSync(dir, { recursive: true, force: true }); },
  };
}

/** Whether a server answers within 2 s (the suites skip, or fail under CI, when not). */
export async function reachable(driver: 'postgres' | 'mysql'): Promise<boolean> {
  try {
    if (driver === 'postgres') {
      const c = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
      await c.connect();
      await c.end();
    } else {
      const c = await mysql.createConnection({ uri: MYSQL_URL, connectTimeout: 2000 });
      await c.end();
    }
    return true;
  } catch {
    return false;
  }
}

/** CREATE DATABASE gh_test_<random> on the local PostgreSQL (or on the server at `serverUrl`, a private one). */
export async function postgresDatabase(serverUrl: string = PG_URL): Promise<TestDatabase> {
  const name = `gh_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = withUrl(serverUrl, name);
  return {
    config: storageSchema.parse({ driver: 'postgres', postgres: { url, pool_max: 20, acquire_timeout: '5s' } }),
    async exec(sql) {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try { await c.query(sql); } finally { await c.end(); }
    },
    async drop() {
      const c = new pg.Client({ connectionString: serverUrl });
      await c.connect();
      try { await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`); } finally { await c.end(); }
    },
  };
}

/** CREATE DATABASE gh_test_<random> on the local MariaDB/MySQL (or on the server at `serverUrl`, a private one). */
export async function mysqlDatabase(serverUrl: string = MYSQL_URL): Promise<TestDatabase> {
  const name = `gh_test_${randomBytes(6).toString('hex')}`;
  const admin = await mysql.createConnection({ uri: serverUrl });
  await admin.query(`CREATE DATABASE ${name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  await admin.end();
  const url = withUrl(serverUrl, name);
  return {
    config: storageSchema.parse({ driver: 'mysql', mysql: { url, pool_max: 20, acquire_timeout: '5s' } }),
    async exec(sql) {
      const c = await mysql.createConnection({ uri: url });
      try { await c.query(sql); } finally { await c.end(); }
    },
    async drop() {
      const c = await mysql.createConnection({ uri: serverUrl });
      try { await c.query(`DROP DATABASE IF EXISTS ${name}`); } finally { await c.end(); }
    },
  };
}
