/**
 * The hash pool's threads: up to `size` Argon2 worker threads (hash-worker.ts), each at a lowered OS priority, each
 * running one job at a time. Started on first use (a CLI command that never hashes starts none); an idle thread does
 * not keep the process alive (unref'd between jobs); a thread that dies fails its job and is replaced on next use.
 * Admission (how many may run or wait) is the pool's semaphore, in front of this: here a job only waits for a
 * thread when the semaphore let more through than there are threads, which it does not.
 */
import { Worker } from 'node:worker_threads';
import type { Options } from '@node-rs/argon2';
import type { Logger } from '../../log/logger.js';
import type { HashWorkerHello, HashWorkerInit, HashWorkerRequest, HashWorkerResponse } from './hash-worker.js';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
export type HashJob = DistributiveOmit<HashWorkerRequest, 'id'>;

/** What a started thread reported about itself. */
export interface HashThreadInfo {
  /** worker_threads' id (not the OS thread id). */
  threadId: number;
  /** The nice value the thread runs at, as it read it back from the kernel. */
  nice: number;
}

export interface HashThreads {
  /** Runs one job on an idle thread (starting one if fewer than `size` run); rejects with the library's message. */
  run(job: HashJob): Promise<string | boolean>;
  /** The threads started so far (once each has said hello). */
  info(): HashThreadInfo[];
  /** Stops every thread; jobs still running are rejected. */
  close(): Promise<void>;
}

export interface HashThreadsOptions {
  size: number;
  nice: number;
  options: Options;
  logger?: Logger;
}

interface Slot {
  worker: Worker;
  job: { id: number; resolve: (v: string | boolean) => void; reject: (e: Error) => void } | null;
  info: HashThreadInfo | null;
}

const WORKER_URL = new URL('./hash-worker.js', import.meta.url);

/** Builds the thread set; see the file comment. */
export function createHashThreads(opts: HashThreadsOptions): HashThreads {
  const slots = new Set<Slot>();
  const idle: Slot[] = [];
  const waiting: { job: HashJob; resolve: (v: string | boolean) => void; reject: (e: Error) => void }[] = [];
  let nextId = 1;
  let closed = false;
  let warnedNice = false;

  const spawn = (): Slot => {
    const init: HashWorkerInit = { nice: opts.nice, options: opts.options };
    const worker = new Worker(WORKER_URL, { workerData: init, name: 'gatehouse-argon2' });
    worker.unref();
    const slot: Slot = { worker, job: null, info: null };
    slots.add(slot);
    worker.on('message', (msg: HashWorkerResponse | HashWorkerHello) => {
      if ('type' in msg) {
        slot.info = { threadId: worker.threadId, nice: msg.nice };
        if (msg.niceError !== null && !warnedNice) {
          warnedNice = true;
          opts.logger?.warn({ err: msg.niceError, nice: opts.nice }, 'password hashing threads could not lower their priority; they compete with requests as equals');
        }
        return;
      }
      const job = slot.job;
      if (!job || job.id !== msg.id) return;
      slot.job = null;
      worker.unref();
      if (msg.ok) job.resolve(msg.value);
      else job.reject(new Error(msg.message));
      release(slot);
    });
    const lost = (why: string): void => {
      if (!slots.delete(slot)) return;
      const i = idle.indexOf(slot);
      if (i >= 0) idle.splice(i, 1);
      const job = slot.job;
      slot.job = null;
      if (!closed) opts.logger?.error({ why }, 'a password hashing thread stopped; it is replaced on next use');
      job?.reject(new Error(`hash thread stopped: ${why}`));
      // Someone may be waiting for a thread that no longer exists: start a fresh one for them.
      if (!closed && waiting.length > 0) release(spawn());
    };
    worker.on('error', (err) => lost(err.message));
    worker.on('exit', (code) => lost(`exit ${code}`));
    return slot;
  };

  const dispatch = (slot: Slot, job: HashJob, resolve: (v: string | boolean) => void, reject: (e: Error) => void): void => {
    const id = nextId++;
    slot.job = { id, resolve, reject };
    slot.worker.ref(); // a job in flight keeps the process alive until it answers
    slot.worker.postMessage({ ...job, id } as HashWorkerRequest);
  };

  const release = (slot: Slot): void => {
    const next = waiting.shift();
    if (next) dispatch(slot, next.job, next.resolve, next.reject);
    else idle.push(slot);
  };

  return {
    run(job) {
      if (closed) return Promise.reject(new Error('hash threads closed'));
      return new Promise((resolve, reject) => {
        const slot = idle.pop() ?? (slots.size < opts.size ? spawn() : undefined);
        if (slot) dispatch(slot, job, resolve, reject);
        else waiting.push({ job, resolve, reject });
      });
    },
    info: () => [...slots].flatMap((s) => (s.info ? [s.info] : [])),
    async close() {
      closed = true;
      for (const w of waiting.splice(0)) w.reject(new Error('hash threads closed'));
      await Promise.all([...slots].map(async (s) => {
        s.job?.reject(new Error('hash threads closed'));
        s.job = null;
        await s.worker.terminate();
      }));
      slots.clear();
      idle.length = 0;
    },
  };
}
