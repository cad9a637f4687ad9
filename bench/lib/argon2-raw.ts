// The raw async Argon2id verify rate of this machine, in its own process: `callers` verify loops with no pool, no
// HTTP, nothing else, for `seconds`. The login storm compares accepted logins/s against this, measured in the same run.
// Usage: node dist/bench/lib/argon2-raw.js SECONDS CALLERS HASH PASSWORD   (prints {"verifiesPerS":N})
import { verify } from '@node-rs/argon2';

const [seconds, callers, stored, password] = [Number(process.argv[2]), Number(process.argv[3]), process.argv[4]!, process.argv[5]!];
await verify(stored, password); // warm: the first call pays for loading the addon
let done = 0;
const t0 = performance.now();
const until = t0 + seconds * 1000;
await Promise.all(Array.from({ length: callers }, async () => {
  while (performance.now() < until) {
    if (!(await verify(stored, password))) throw new Error('verify said no');
    done++;
  }
}));
console.log(JSON.stringify({ verifiesPerS: done / ((performance.now() - t0) / 1000), done, callers }));
