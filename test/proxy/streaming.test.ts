// Bodies stream both ways without being buffered whole: the first bytes cross Gatehouse before the other side has
// finished sending, and moving 200 MB each way grows this process (Gatehouse, client and upstream together) by
// far less than the body.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { Readable } from 'node:stream';
import { configObject, startGatehouse, startUpstream, validConfig, within, type RunningGatehouse, type TestUpstream } from '../helpers/core-net.js';

const MB = 1024 * 1024;
const BODY = 200 * MB;
const CHUNK = Buffer.alloc(64 * 1024, 0x61);

let gate: { release(): void; released: Promise<void> };
let gotFirstUploadBytes: () => void;
let uploadFirstBytes: Promise<void>;
let app: TestUpstream;
let gh: RunningGatehouse;

function newGate(): typeof gate {
  let release!: () => void;
  const released = new Promise<void>((r) => { release = r; });
  return { release, released };
}

before(async () => {
  app = await startUpstream('app', (req, res) => {
    if (req.url === '/count') {
      // Counts the upload without keeping it.
      let bytes = 0;
      req.on('data', (c: Buffer) => {
        if (bytes === 0) gotFirstUploadBytes();
        bytes += c.length;
      });
      req.on('end', () => res.end(String(bytes)));
      return;
    }
    req.resume();
    if (req.url === '/gated') {
      // Sends a first chunk, then holds the rest until the client says it has seen that chunk.
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.write(CHUNK);
      void gate.released.then(() => res.end(CHUNK));
      return;
    }
    if (req.url === '/big') {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': BODY });
      let sent = 0;
      const pump = (): void => {
        while (sent < BODY) {
          sent += CHUNK.length;
          if (!res.write(CHUNK)) {
            res.once('drain', pump);
            return;
          }
        }
        res.end();
      };
      pump();
      return;
    }
    res.end('?');
  });
  gh = await startGatehouse(validConfig(configObject({ app: { url: app.url, timeout: '10s' } }, [{ name: 'all', policy: 'public', upstream: 'app' }])));
});
after(async () => {
  gate?.release();
  await gh.close();
  await app.close();
});

/** Samples rss and heap+arrayBuffers every 10 ms while `work` runs; returns the peak growth over the start. */
async function peakGrowth<T>(work: () => Promise<T>): Promise<{ result: T; rss: number; heap: number }> {
  (globalThis as { gc?: () => void }).gc?.();
  const start = process.memoryUsage();
  let rss = 0;
  let heap = 0;
  const timer = setInterval(() => {
    const m = process.memoryUsage();
    rss = Math.max(rss, m.rss - start.rss);
    heap = Math.max(heap, m.heapUsed + m.arrayBuffers - start.heapUsed - start.arrayBuffers);
  }, 10);
  try {
    return { result: await work(), rss, heap };
  } finally {
    clearInterval(timer);
  }
}

/** An upload body generated on the fly: `total` bytes of one reused chunk. */
function generated(total: number): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= total) {
        this.push(null);
        return;
      }
      sent += CHUNK.length;
      this.push(CHUNK);
    },
  });
}

describe('streaming through the proxy', () => {
  test('download: the first bytes reach the client while the upstream is still holding the rest', { timeout: 15_000 }, async () => {
    gate = newGate();
    const received = await within(8000, 'the gated download', new Promise<number>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port: gh.port, path: '/gated', agent: false }, (res) => {
        let bytes = 0;
        res.on('data', (c: Buffer) => {
          bytes += c.length;
          // Only once the first chunk arrived is the upstream allowed to finish; buffering would deadlock here.
          if (bytes >= CHUNK.length) gate.release();
        });
        res.on('end', () => resolve(bytes));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    }));
    assert.equal(received, 2 * CHUNK.length);
  });

  test('upload: the upstream gets the first bytes before the client has sent the rest', { timeout: 15_000 }, async () => {
    uploadFirstBytes = new Promise<void>((r) => { gotFirstUploadBytes = r; });
    const answer = await within(8000, 'the gated upload', new Promise<string>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port: gh.port, path: '/count', method: 'POST', agent: false,
        headers: { 'transfer-encoding': 'chunked' } }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => { text += c.toString(); });
        res.on('end', () => resolve(text));
      });
      req.on('error', reject);
      req.write(CHUNK);
      // The rest is sent only after the upstream has seen the first chunk; a proxy that buffers would deadlock.
      void within(5000, 'the upstream to see the first upload bytes', uploadFirstBytes).then(() => req.end(CHUNK), reject);
    }));
    assert.equal(answer, String(2 * CHUNK.length));
  });

  test('upload of 200 MB generated on the fly: counted whole by the upstream, memory growth far below 200 MB', { timeout: 60_000 }, async (t) => {
    uploadFirstBytes = new Promise<void>((r) => { gotFirstUploadBytes = r; });
    const { result, rss, heap } = await peakGrowth(() => within(50_000, 'the 200 MB upload', new Promise<string>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port: gh.port, path: '/count', method: 'POST', agent: false,
        headers: { 'content-type': 'application/octet-stream', 'content-length': BODY } }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => { text += c.toString(); });
        res.on('end', () => resolve(text));
      });
      req.on('error', reject);
      generated(BODY).pipe(req);
    })));
    assert.equal(result, String(BODY));
    t.diagnostic(`peak growth while uploading: rss ${(rss / MB).toFixed(1)} MB, heap+buffers ${(heap / MB).toFixed(1)} MB`);
    assert.ok(rss < 100 * MB, `rss grew by ${(rss / MB).toFixed(1)} MB while uploading 200 MB`);
    assert.ok(heap < 100 * MB, `heap+buffers grew by ${(heap / MB).toFixed(1)} MB while uploading 200 MB`);
  });

  test('download of 200 MB: received whole, memory growth far below 200 MB', { timeout: 60_000 }, async (t) => {
    const { result, rss, heap } = await peakGrowth(() => within(50_000, 'the 200 MB download', new Promise<number>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port: gh.port, path: '/big', agent: false }, (res) => {
        assert.equal(res.headers['content-length'], String(BODY), 'the length is passed through');
        let bytes = 0;
        res.on('data', (c: Buffer) => { bytes += c.length; });
        res.on('end', () => resolve(bytes));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    })));
    assert.equal(result, BODY);
    t.diagnostic(`peak growth while downloading: rss ${(rss / MB).toFixed(1)} MB, heap+buffers ${(heap / MB).toFixed(1)} MB`);
    assert.ok(rss < 100 * MB, `rss grew by ${(rss / MB).toFixed(1)} MB while downloading 200 MB`);
    assert.ok(heap < 100 * MB, `heap+buffers grew by ${(heap / MB).toFixed(1)} MB while downloading 200 MB`);
  });
});
