import type { GatehouseConfig } from '../config/index.js';
import { ListenError, isGatehouseError } from '../errors/index.js';

/**
 * Why Gatehouse could not start, as one line for a person: what failed, the setting to change, and how. Start-up
 * failures are configuration or environment problems (a port in use, a database that does not answer), so the
 * line names the YAML key rather than printing a stack trace.
 */
export function explainStartupFailure(err: unknown, config: GatehouseConfig): string {
  if (err instanceof ListenError) return explainListen(err);
  if (isGatehouseError(err) && (err.code === 'GATE_ERR_STORE_DOWN' || err.code === 'GATE_ERR_STORE_BUSY')) {
    const { driver } = config.storage;
    if (driver === 'sqlite') {
      return `cannot open the SQLite database ${config.storage.sqlite.path} (storage.sqlite.path): ${reason(err)}; ` +
        'check that its directory exists and is writable, or set storage.sqlite.path';
    }
    const url = redactUrl(config.storage[driver].url);
    return `the ${driver === 'postgres' ? 'PostgreSQL' : 'MySQL'} database at ${url} (storage.${driver}.url) does not answer: ${reason(err)}; ` +
      `start it, or set storage.${driver}.url (and storage.${driver}.acquire_timeout if it is only slow)`;
  }
  if (isGatehouseError(err)) return `${err.message}${err.detail !== undefined && err.detail !== err.message ? ` (${err.detail})` : ''}`;
  return err instanceof Error ? err.message : String(err);
}

function explainListen(err: ListenError): string {
  const where = `${err.host}:${err.port}`;
  const head = `cannot listen on ${where} (${err.setting})`;
  switch (err.sysCode) {
    case 'EADDRINUSE':
      return `${head}: port ${err.port} is already in use by another process; stop it, or set ${err.setting} to a free address such as "${err.host}:${err.port + 10}"`;
    case 'EACCES':
      return `${head}: permission denied (ports below 1024 need privileges); set ${err.setting} to a port of 1024 or above`;
    case 'EADDRNOTAVAIL':
      return `${head}: ${err.host} is not an address of this machine; set ${err.setting} to one of its addresses, or "0.0.0.0:${err.port}"`;
    default:
      return `${head}: ${err.sysCode} (${err.detail ?? err.message}); set ${err.setting} to another address`;
  }
}

function reason(err: { detail?: string | undefined; message: string }): string {
  return redactUrl((err.detail ?? err.message).replace(/^(postgres|mysql|sqlite)( \w+)?: /, ''));
}

/** A URL with its password replaced, for messages. */
export function redactUrl(text: string): string {
  return text.replace(/(\w+:\/\/[^:/@\s]*):[^@/\s]*@/g, '$1:***@');
}
