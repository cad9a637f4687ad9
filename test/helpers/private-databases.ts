// Private database servers for tests that stop, kill or starve a database: a PostgreSQL (initdb into a temp dir,
// postgres on a free loopback port) and a MariaDB (mariadb-install-db into a temp dir, mariadbd on a free port and
// its own socket). The shared servers on 5432/3306 serve every helper's concurrent test runs and must never go
// away; anything that takes a database away does it to one of these. Every start is bounded, every server is
// stopped in the test's after() (and SIGKILLed when the test process exits without cleaning up).
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { chownSync, closeSync, existsSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import mysql from 'mysql2/promise';
import { mysqlDatabase, postgresDatabase, type TestDatabase } from '../store/databases.js';

/** A database server this test owns: it may stop, kill and restart it at will. */
export interface PrivateServer {
  readonly kind: 'postgres' | 'mysql';
  readonly port: number;
  /** The temp directory holding its data, socket and log (removed by destroy). */
  readonly dir: string;
  /** The admin URL (the `postgres` database / no database), as the shared-server helpers take it. */
  readonly url: string;
  /** A fresh database on this server, in the shape the store tests use. */
  createDatabase(): Promise<TestDatabase>;
  /** Whether the server answers a connection now. */
  isUp(): Promise<boolean>;
  /** Stops the server (fast shutdown: open connections are cut), keeping its data; bounded. */
  stop(): Promise<void>;
  /** Starts it again on the same port and waits until it answers; bounded. */
  start(): Promise<void>;
  /** SIGKILL, as a crash would. */
  kill(): Promise<void>;
  /** The server's own log (for failure messages). */
  log(): string;
  /** Stops the server and removes its directory. Safe to call twice. */
  destroy(): Promise<void>;
}

/** Options for a private server. */
export interface PrivateServerOptions {
  /** Bound on initialisation plus first start (the machine is shared: be generous). Default 90 s. */
  startTimeoutMs?: number;
  /** max_connections of the server (PostgreSQL keeps 3 of them for superusers by default). */
  maxConnections?: number;
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** The newest installed PostgreSQL's bin directory, or undefined. */
function postgresBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'postgres'))).sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(root, versions[0], 'bin');
}

function mariadbBinaries(): { install: string; server: string } | undefined {
  const install = ['/usr/bin/mariadb-install-db', '/usr/bin/mysql_install_db'].find(existsSync);
  const server = ['/usr/sbin/mariadbd', '/usr/sbin/mysqld'].find(existsSync);
  return install && server ? { install, server } : undefined;
}

function osUser(name: string): { uid: number; gid: number } | undefined {
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith(`${name}:`));
  if (line === undefined) return undefined;
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

/** Whether this machine can run a private server of `kind` (binaries present; the OS user when we are root). */
export function privateServerSupported(kind: 'postgres' | 'mysql'): boolean {
  const root = process.getuid?.() === 0;
  if (kind === 'postgres') return postgresBin() !== undefined && (!root || osUser('postgres') !== undefined);
  return mariadbBinaries() !== undefined && (!root || osUser('mysql') !== undefined);
}

/** A free TCP port on 127.0.0.1 (bound, then released). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function waitUntil(ms: number, what: string, check: () => Promise<boolean>, exited: () => boolean, log: () => string): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    if (exited()) throw new Error(`${what}: the server exited; its log ends with:\n${log().slice(-2000)}`);
    if (Date.now() > deadline) throw new Error(`${what}: not up within ${ms} ms; its log ends with:\n${log().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function readLog(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** Waits for a child to exit, SIGKILLing it after `ms`. */
async function ended(child: ChildProcess, ms: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/**
 * A private PostgreSQL: `initdb` into a temp dir, `postgres` on a free 127.0.0.1 port with its socket in that
 * dir, trust authentication for the `postgres` role, durability off (a test server). Runs as the `postgres` OS
 * user when we are root (PostgreSQL refuses to run as root).
 */
export async function startPrivatePostgres(options: PrivateServerOptions = {}): Promise<PrivateServer> {
  const bin = postgresBin();
  if (bin === undefined) throw new Error('no PostgreSQL server binaries under /usr/lib/postgresql/*/bin');
  const startTimeoutMs = options.startTimeoutMs ?? 90_000;
  const owner = process.getuid?.() === 0 ? osUser('postgres') : undefined;
  const dir = mkdtempSync(join(tmpdir(), 'gh-private-pg-'));
  if (owner) chownSync(dir, owner.uid, owner.gid);
  const data = join(dir, 'data');
  const logPath = join(dir, 'server.log');
  const ids = owner ? { uid: owner.uid, gid: owner.gid } : {};
  execFileSync(join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync', '--locale=C'],
    { ...ids, stdio: 'pipe', timeout: startTimeoutMs, cwd: dir });
  const port = await freePort();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  let child: ChildProcess | undefined;
  const args = ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1',
    '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'shared_buffers=16MB',
    '-c', `max_connections=${options.maxConnections ?? 40}`, '-c', 'logging_collector=off'];
  const isUp = async (): Promise<boolean> => {
    const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
    c.on('error', () => undefined);
    try {
      await c.connect();
      await c.query('SELECT 1');
      return true;
    } catch {
      return false;
    } finally {
      await c.end().catch(() => undefined);
    }
  };
  const log = (): string => readLog(logPath);
  const start = async (timeoutMs = startTimeoutMs): Promise<void> => {
    if (child && child.exitCode === null && child.signalCode === null) return;
    const fd = openSync(logPath, 'a');
    if (owner) chownSync(logPath, owner.uid, owner.gid);
    const started = spawn(join(bin, 'postgres'), args, { ...ids, stdio: ['ignore', fd, fd], cwd: dir });
    closeSync(fd);
    child = started;
    live.add(started);
    started.once('exit', () => live.delete(started));
    await waitUntil(timeoutMs, `private PostgreSQL on port ${port}`, isUp, () => started.exitCode !== null || started.signalCode !== null, log);
  };
  const stopWith = async (signal: NodeJS.Signals): Promise<void> => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    // SIGINT is PostgreSQL's "fast" shutdown: clients are disconnected, the server exits cleanly.
    c.kill(signal);
    await ended(c, 30_000);
  };
  let destroyed = false;
  try {
    await start();
  } catch (err) {
    await stopWith('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    kind: 'postgres', port, dir, url,
    createDatabase: () => postgresDatabase(url),
    isUp,
    stop: () => stopWith('SIGINT'),
    start: () => start(),
    kill: () => stopWith('SIGKILL'),
    log,
    async destroy() {
      if (destroyed) return;
      destroyed = true;
      await stopWith('SIGINT');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A private MariaDB: `mariadb-install-db` into a temp dir, `mariadbd` on a free 127.0.0.1 port with its own
 * socket and pid file, root without a password (as the shared one), no binary log, a small buffer pool.
 */
export async function startPrivateMariadb(options: PrivateServerOptions = {}): Promise<PrivateServer> {
  const bins = mariadbBinaries();
  if (bins === undefined) throw new Error('no mariadb-install-db / mariadbd on this machine');
  const startTimeoutMs = options.startTimeoutMs ?? 90_000;
  const asRoot = process.getuid?.() === 0;
  const owner = asRoot ? osUser('mysql') : undefined;
  const dir = mkdtempSync(join(tmpdir(), 'gh-private-mysql-'));
  if (owner) chownSync(dir, owner.uid, owner.gid);
  const data = join(dir, 'data');
  const logPath = join(dir, 'server.log');
  const userArgs = asRoot ? ['--user=mysql'] : [];
  execFileSync(bins.install, ['--no-defaults', `--datadir=${data}`, ...userArgs, '--auth-root-authentication-method=normal',
    '--skip-test-db', '--skip-name-resolve'], { stdio: 'pipe', timeout: startTimeoutMs, cwd: dir });
  const port = await freePort();
  const url = `mysql://root@127.0.0.1:${port}/mysql`;
  let child: ChildProcess | undefined;
  const args = ['--no-defaults', `--datadir=${data}`, ...userArgs, `--port=${port}`, '--bind-address=127.0.0.1',
    `--socket=${join(dir, 'mysqld.sock')}`, `--pid-file=${join(dir, 'mysqld.pid')}`, `--log-error=${logPath}`,
    '--skip-log-bin', '--skip-name-resolve', '--innodb-buffer-pool-size=16M', '--innodb-log-file-size=8M',
    '--innodb-flush-log-at-trx-commit=0', '--performance-schema=OFF', `--max-connections=${options.maxConnections ?? 40}`];
  const isUp = async (): Promise<boolean> => {
    try {
      const c = await mysql.createConnection({ uri: url, connectTimeout: 1000 });
      c.on('error', () => undefined);
      await c.query('SELECT 1');
      await c.end();
      return true;
    } catch {
      return false;
    }
  };
  const log = (): string => readLog(logPath);
  const start = async (timeoutMs = startTimeoutMs): Promise<void> => {
    if (child && child.exitCode === null && child.signalCode === null) return;
    const started = spawn(bins.server, args, { stdio: 'ignore', cwd: dir });
    child = started;
    live.add(started);
    started.once('exit', () => live.delete(started));
    await waitUntil(timeoutMs, `private MariaDB on port ${port}`, isUp, () => started.exitCode !== null || started.signalCode !== null, log);
  };
  const stopWith = async (signal: NodeJS.Signals): Promise<void> => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    // SIGTERM is mariadbd's normal shutdown: connections are closed, InnoDB shuts down cleanly.
    c.kill(signal);
    await ended(c, 60_000);
  };
  let destroyed = false;
  try {
    await start();
  } catch (err) {
    await stopWith('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    kind: 'mysql', port, dir, url,
    createDatabase: () => mysqlDatabase(url),
    isUp,
    stop: () => stopWith('SIGTERM'),
    start: () => start(),
    kill: () => stopWith('SIGKILL'),
    log,
    async destroy() {
      if (destroyed) return;
      destroyed = true;
      await stopWith('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Starts a private server of `kind`. */
export function startPrivateServer(kind: 'postgres' | 'mysql', options: PrivateServerOptions = {}): Promise<PrivateServer> {
  return kind === 'postgres' ? startPrivatePostgres(options) : startPrivateMariadb(options);
}

/**
 * Whether a suite needing a private server of `kind` may run. Outside CI a machine without the binaries skips it
 * loudly; under CI=true that is a failure (the caller throws the returned reason).
 */
export function privateServerUnavailable(kind: 'postgres' | 'mysql'): string | undefined {
  if (privateServerSupported(kind)) return undefined;
  return kind === 'postgres'
    ? 'a private PostgreSQL needs /usr/lib/postgresql/*/bin (and the postgres OS user when running as root)'
    : 'a private MariaDB needs mariadb-install-db and mariadbd (and the mysql OS user when running as root)';
}
