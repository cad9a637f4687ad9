// When the client goes away, Gatehouse gives up on the upstream too: a slow upstream sees its request aborted
// before it answers, and a streaming response stops being pulled from the upstream.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { configObject, eventually, startGatehouse, startUpstream, validConfig } from '../helpers/core-net.js';

test('a client that disconnects before the upstream answers aborts the upstream request', async () => {
  let upstreamSawClose = false;
  const upstream = await startUpstream('slow', (req, res) => {
    req.socket.once('close', () => { upstreamSawClose = true; });
    setTimeout(() => { if (!res.destroyed) res.end('late'); }, 5000).unref();
  });
  const gh = await startGatehouse(validConfig(configObject({ slow: upstream.url }, [{ name: 'all', match: { path: '/' }, policy: 'public', upstream: 'slow' }])));
  try {
    const socket = connect(gh.port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write('GET /wait HTTP/1.1\r\nHost: x\r\n\r\n');
    await eventually(3000, 'the upstream to receive the request', () => upstream.requests.length === 1);
    socket.destroy();
    await eventually(3000, 'the upstream connection to be closed by Gatehouse', () => upstreamSawClose);
  } finally {
    await gh.close();
    await upstream.close();
  }
});

test('a client that disconnects mid-stream stops the upstream stream', async () => {
  let upstreamSawClose = false;
  const upstream = await startUpstream('stream', (req, res) => {
    req.socket.once('close', () => { upstreamSawClose = true; });
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const timer = setInterval(() => res.write('data: tick\n\n'), 20);
    res.once('close', () => clearInterval(timer));
  });
  const gh = await startGatehouse(validConfig(configObject({ stream: upstream.url }, [{ name: 'all', match: { path: '/' }, policy: 'public', upstream: 'stream' }])));
  try {
    const socket = connect(gh.port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write('GET /events HTTP/1.1\r\nHost: x\r\n\r\n');
    await new Promise<void>((resolve) => socket.once('data', () => resolve()));
    socket.destroy();
    await eventually(3000, 'the upstream stream to be closed by Gatehouse', () => upstreamSawClose);
    assert.ok(upstreamSawClose);
  } finally {
    await gh.close();
    await upstream.close();
  }
});
