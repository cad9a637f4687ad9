#!/usr/bin/env node
// The `gatehouse` command. The code lives in dist/ (built by `npm ci` through the `prepare` script, or `npm run build`).
import { availableParallelism } from 'node:os';

// Argon2 runs on libuv's thread pool, which is sized once, at its first use, from UV_THREADPOOL_SIZE (default 4).
// Give it one thread per hash permit (auth.hash.concurrency defaults to the core count) plus two for fs and dns,
// before anything can touch the pool. An explicit UV_THREADPOOL_SIZE (the Helm chart sets one) wins.
process.env.UV_THREADPOOL_SIZE ??= String(Math.max(4, availableParallelism() + 2));

const { main } = await import('../dist/src/cli/main.js');
const code = await main(process.argv.slice(2));
if (code !== undefined) process.exitCode = code;
