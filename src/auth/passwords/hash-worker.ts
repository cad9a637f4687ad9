/**
 * One Argon2 worker thread of the hash pool (hash-pool.ts). It lowers its own OS scheduling priority first, then
 * runs one hash or verify at a time, synchronously, on this thread.
 *
 * Why a thread of our own rather than libuv's pool: on Linux a thread is a task with its own nice value, and
 * setpriority(PRIO_PROCESS, 0, n) (os.setPriority(0, n)) changes only the calling thread. libuv's pool threads are
 * shared with fs and dns and cannot be reniced one by one, so Argon2 there competes with the event loop as an equal;
 * here the kernel gives request handling the CPU first and hashing takes what it leaves idle (a nice-19 task weighs
 * 15 against 1024 for a nice-0 one in CFS). The Sync variants are right here and only here: this thread has no
 * event loop work to block.
 */
import { getPriority, setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { hashSync, verifySync, type Options } from '@node-rs/argon2';

/** What the pool starts each worker with. */
export interface HashWorkerInit {
  /** The nice value this thread sets on itself (0 = leave as is; 19 = lowest priority). */
  nice: number;
  options: Options;
}

/** One job; passwords arrive already NFKC-normalised. */
export type HashWorkerRequest =
  | { id: number; op: 'hash'; password: string }
  | { id: number; op: 'verify'; hash: string; password: string };

export type HashWorkerResponse =
  | { id: number; ok: true; value: string | boolean }
  | { id: number; ok: false; message: string };

/** The first message: the nice value the thread really runs at (the kernel may refuse a change). */
export interface HashWorkerHello { type: 'ready'; nice: number; niceError: string | null }

function main(port: NonNullable<typeof parentPort>, init: HashWorkerInit): void {
  let niceError: string | null = null;
  if (init.nice !== 0) {
    try {
      setPriority(0, init.nice);
    } catch (err) {
      niceError = String(err); // e.g. a seccomp profile that forbids setpriority: hashing still works, at nice 0
    }
  }
  port.postMessage({ type: 'ready', nice: getPriority(0), niceError } satisfies HashWorkerHello);
  port.on('message', (req: HashWorkerRequest) => {
    let res: HashWorkerResponse;
    try {
      const value = req.op === 'hash' ? hashSync(req.password, init.options) : verifySync(req.hash, req.password);
      res = { id: req.id, ok: true, value };
    } catch (err) {
      res = { id: req.id, ok: false, message: err instanceof Error ? err.message : String(err) };
    }
    port.postMessage(res);
  });
}

if (parentPort) main(parentPort, workerData as HashWorkerInit);
