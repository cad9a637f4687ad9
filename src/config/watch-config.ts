import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { basename, dirname } from 'node:path';

/**
 * Calls `onChange` when the config file's contents change. It watches the file's directory, not the file: a
 * Kubernetes ConfigMap update arrives as an atomic swap of the `..data` symlink, which a watch on the old file
 * never sees. Events are debounced and compared by content hash so a burst of events makes one reload.
 */
export function watchConfigFile(file: string, debounceMs: number, onChange: () => void): { close(): void } {
  let timer: NodeJS.Timeout | undefined;
  let lastHash: string | undefined;
  const hashOf = async (): Promise<string | undefined> => {
    try {
      return createHash('sha256').update(await readFile(file)).digest('hex');
    } catch {
      return undefined;
    }
  };
  void hashOf().then((h) => { lastHash ??= h; });
  const name = basename(file);
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(dirname(file), { persistent: false }, (_event, changed) => {
      if (changed !== null && changed !== name && !String(changed).startsWith('..')) return;
      clearTimeout(timer);
      timer = setTimeout(() => {
        void hashOf().then((h) => {
          if (h === undefined || h === lastHash) return;
          lastHash = h;
          onChange();
        });
      }, debounceMs);
      timer.unref();
    });
    watcher.on('error', () => undefined);
  } catch {
    watcher = undefined;
  }
  return { close: () => { clearTimeout(timer); watcher?.close(); } };
}
