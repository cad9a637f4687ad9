// How many identity assertions one core signs per second, for one algorithm: run as its own process
// (`node dist/bench/lib/sign-rate.js ES256 8000`) with UV_THREADPOOL_SIZE=1, so WebCrypto's signing runs on one
// pool thread beside the event loop. Every call is a cache miss of Gatehouse's own signer (a new identity object
// each time), so it measures the miss path as the proxy runs it: claims, jose's SignJWT, the key from a real ring
// shape. Prints one JSON line: signatures, wall and CPU time (user + system of the whole process, all threads).
import { exportJWK, generateKeyPair, importJWK, type CryptoKey } from 'jose';
import { AssertionSigner, type AssertedIdentity } from '../../src/signing/assertion.js';

async function main(): Promise<void> {
  const alg = process.argv[2] === 'EdDSA' ? 'EdDSA' : 'ES256';
  const durationMs = Number(process.argv[3] ?? 5000);
  const inFlight = 16;
  const pair = await generateKeyPair(alg, { extractable: true });
  const key = await importJWK(await exportJWK(pair.privateKey), alg);
  const signer = new AssertionSigner({ activeKey: () => ({ kid: 'bench', alg, key: key as CryptoKey }), issuer: 'https://gatehouse.example' });
  const identity = (i: number): AssertedIdentity => ({
    userId: `user-${i}`, email: `user-${i}@example.com`, name: 'Bench User', roles: ['dev', 'ops'],
    orgs: [{ slug: 'acme', role: 'admin' }], emailVerified: true, amr: ['pwd', 'otp', 'mfa'], sessionId: `session-${i}`,
  });
  // Warm-up: let the JIT and the pool settle before measuring.
  for (let i = 0; i < 200; i++) await signer.assertion(identity(i), 'http://127.0.0.1:8080', 60_000);
  let signed = 0;
  let n = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const deadline = t0 + durationMs;
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (performance.now() < deadline) {
      await signer.assertion(identity(n++), 'http://127.0.0.1:8080', 60_000);
      signed++;
    }
  }));
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  console.log(JSON.stringify({ alg, signatures: signed, wallMs, cpuMs: (cpu.user + cpu.system) / 1000 }));
}

await main();
