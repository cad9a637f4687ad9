import { GatehouseError, type GatehouseErrorOptions } from './gatehouse-error.js';

/** One configuration problem: the YAML path, the line when known, and what was expected. */
export interface ConfigProblem {
  path: string;
  line?: number;
  message: string;
}

/** The configuration file could not be accepted; `problems` lists every reason at once. */
export class ConfigError extends GatehouseError {
  readonly problems: readonly ConfigProblem[];
  constructor(problems: readonly ConfigProblem[], options: GatehouseErrorOptions = {}) {
    super('GATE_ERR_CONFIG_INVALID', problems.map(formatConfigProblem).join('\n'), options);
    this.problems = problems;
  }
}

/** Formats a problem as `path (line N): message`, the form check-config prints. */
export function formatConfigProblem(p: ConfigProblem): string {
  const where = p.path === '' ? '(root)' : p.path;
  return p.line === undefined ? `${where}: ${p.message}` : `${where} (line ${p.line}): ${p.message}`;
}

/** The store could not take the write lock (or a connection) in time; retrying later may work. */
export class StoreBusyError extends GatehouseError {
  constructor(detail?: string, cause?: unknown) {
    super('GATE_ERR_STORE_BUSY', undefined, { detail, cause, retryable: true });
  }
}

/** The database is unreachable. */
export class StoreDownError extends GatehouseError {
  constructor(detail?: string, cause?: unknown) {
    super('GATE_ERR_STORE_DOWN', undefined, { detail, cause, retryable: true });
  }
}

/** A row the caller named does not exist. */
export class NotFoundError extends GatehouseError {
  constructor(what: string, cause?: unknown) {
    super('GATE_ERR_STORE_NOT_FOUND', `${what} not found`, { cause });
  }
}

/** A uniqueness rule was broken (an email already taken, a slug in use). `field` names the rule. */
export class ConflictError extends GatehouseError {
  readonly field: string;
  constructor(field: string, message?: string, cause?: unknown) {
    super('GATE_ERR_STORE_CONFLICT', message ?? `${field} already exists`, { cause });
    this.field = field;
  }
}

/** The database holds a schema newer than this code understands. */
export class SchemaTooNewError extends GatehouseError {
  constructor(databaseVersion: number, codeVersion: number) {
    super('GATE_ERR_STORE_SCHEMA_TOO_NEW',
      `database schema version ${databaseVersion} is newer than this Gatehouse understands (${codeVersion}); upgrade Gatehouse`);
  }
}

/** A listener could not bind its address at start-up; `setting` names the config key to change. */
export class ListenError extends GatehouseError {
  readonly setting: string;
  readonly host: string;
  readonly port: number;
  /** The system's code: EADDRINUSE, EACCES, EADDRNOTAVAIL... */
  readonly sysCode: string;
  constructor(setting: string, where: { host: string; port: number }, cause: unknown) {
    const sysCode = String((cause as NodeJS.ErrnoException | undefined)?.code ?? 'UNKNOWN');
    super('GATE_ERR_LISTEN', `cannot listen on ${where.host}:${where.port} (${setting}): ${sysCode}`, { cause, detail: String((cause as Error | undefined)?.message ?? cause) });
    this.setting = setting;
    this.host = where.host;
    this.port = where.port;
    this.sysCode = sysCode;
  }
}

/**
 * A route needs the signed identity assertion and this replica has no key it can vouch for (the keys could not be
 * read, or not for too long): the request is refused rather than forwarded unsigned.
 */
export class SigningUnavailableError extends GatehouseError {
  constructor(detail?: string, cause?: unknown) {
    super('GATE_ERR_SIGNING_UNAVAILABLE', undefined, { detail, cause, retryable: true, retryAfterSeconds: 5 });
  }
}
