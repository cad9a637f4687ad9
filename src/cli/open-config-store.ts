import type { GatehouseConfig } from '../config/index.js';
import { silentLogger } from '../log/logger.js';
import { openStore } from '../store/index.js';
import type { Store } from '../store/store.js';
import { loadOrReport } from './serve.js';

/** Loads the config (reporting problems) and opens its store, for one-shot commands; undefined when the config is bad. */
export async function openConfigStore(path: string): Promise<{ config: GatehouseConfig; store: Store } | undefined> {
  const config = loadOrReport(path);
  if (config === undefined) return undefined;
  const store = await openStore(config.storage, { logger: silentLogger() });
  return { config, store };
}

/** Reads all of standard input as text (for --password-stdin), without its final newline. */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}
