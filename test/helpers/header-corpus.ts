// The header corpus: raw byte streams that try to make an upstream execute a request Gatehouse did not judge
// (issue 12 §1 and §3): bytes smuggled behind an Upgrade handshake, Upgrade offers that must never be forwarded,
// upgrade requests with a body, repeated singleton headers, and pipelining on keep-alive. Each entry is sent as is
// to Gatehouse in front of an upstream of each family (test/helpers/upstream-families.ts) with HEADER_CORPUS_ROUTES,
// and says what the client must get and exactly which requests the upstream may have executed: nothing else.
//
// The forged request is always the same: `DELETE /admin/users/42` with an admin identity in X-Auth-* headers. It
// must never be executed, whatever the family's parser does with the bytes it is given.
import { connect } from 'node:net';

/** Gatehouse's routes for the corpus (`upstream` names the one upstream behind every route). */
export function headerCorpusRoutes(upstream: string): unknown[] {
  return [
    { name: 'ws', match: { path: '/ws/' }, policy: 'public', upstream, websockets: true },
    { name: 'ws-members', match: { path: '/ws-members/' }, policy: 'authenticated', upstream, websockets: true },
    { name: 'tcp', match: { path: '/tcp/' }, policy: 'public', upstream, websockets: true, upgrade_protocols: ['tcp'] },
    { name: 'plain', match: { path: '/plain/' }, policy: 'public', upstream },
    { name: 'admin', match: { path: '/admin/' }, policy: { roles: ['admin'] }, upstream },
    { name: 'app', match: { path: '/' }, policy: 'authenticated', upstream },
  ];
}

/** The request no upstream may ever execute. */
export const FORGED = 'DELETE /admin/users/42 HTTP/1.1\r\nHost: app\r\nX-Auth-User-Id: u-root\r\nX-Auth-Roles: admin\r\nX-Auth-Email: root@example.test\r\n\r\n';

/** One corpus entry. */
export interface HeaderCase {
  readonly name: string;
  /** The class of trick (for reports). */
  readonly cls: string;
  /** What is written, in order; a pause of `gapMs` separates parts (bytes that arrive after the headers were read). */
  readonly parts: readonly string[];
  readonly gapMs?: number;
  /** The statuses of the responses the client gets, in order (each one framed exactly; see parseResponses). */
  readonly statuses: readonly number[];
  /** The requests the upstream may execute, as "METHOD target", in order; anything else fails the case. */
  readonly executed: readonly string[];
}

const UPGRADE = (target: string, extra = '', host = 'Host: app\r\n'): string =>
  `GET ${target} HTTP/1.1\r\n${host}Connection: Upgrade\r\nUpgrade: websocket\r\n${extra}\r\n`;

/** Every payload of issue 12 §1 and the header items of §3, and the classes beyond them. */
export const HEADER_CORPUS: readonly HeaderCase[] = [
  // issue 12 §1 exactly: a declined upgrade, and a second request in the same write.
  { name: 'issue 12 §1: a request behind an upgrade, one write', cls: 'upgrade head', parts: [UPGRADE('/ws/x') + FORGED], statuses: [200], executed: ['GET /ws/x'] },
  { name: 'the same request arriving after the upgrade was read', cls: 'upgrade late bytes', parts: [UPGRADE('/ws/x'), FORGED], gapMs: 150, statuses: [200], executed: ['GET /ws/x'] },
  { name: 'spelling of the handshake headers in capitals', cls: 'upgrade head', parts: [`GET /ws/y HTTP/1.1\r\nHOST: app\r\nCONNECTION: UPGRADE\r\nUPGRADE: WEBSOCKET\r\n\r\n${FORGED}`], statuses: [200], executed: ['GET /ws/y'] },
  { name: 'Connection: keep-alive, Upgrade', cls: 'upgrade head', parts: [`GET /ws/z HTTP/1.1\r\nHost: app\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\n\r\n${FORGED}`], statuses: [200], executed: ['GET /ws/z'] },
  { name: 'a declined upgrade to an allowed non-websocket protocol', cls: 'upgrade head', parts: [`POST /tcp/attach HTTP/1.1\r\nHost: app\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n${FORGED}`], statuses: [200], executed: ['POST /tcp/attach'] },
  // h2c never: alone, beside websocket, with its settings.
  { name: 'Upgrade: h2c', cls: 'h2c', parts: [`GET /ws/x HTTP/1.1\r\nHost: app\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n${FORGED}`], statuses: [400], executed: [] },
  { name: 'Upgrade: WebSocket, h2c', cls: 'h2c', parts: [`GET /ws/x HTTP/1.1\r\nHost: app\r\nConnection: Upgrade\r\nUpgrade: WebSocket, h2c\r\n\r\n${FORGED}`], statuses: [400], executed: [] },
  { name: 'Upgrade: h2c on a route listing other protocols', cls: 'h2c', parts: [`GET /tcp/x HTTP/1.1\r\nHost: app\r\nConnection: Upgrade\r\nUpgrade: H2C\r\n\r\n${FORGED}`], statuses: [400], executed: [] },
  { name: 'two Upgrade headers, websocket then h2c', cls: 'h2c', parts: [`GET /ws/x HTTP/1.1\r\nHost: app\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nUpgrade: h2c\r\n\r\n${FORGED}`], statuses: [400], executed: [] },
  { name: 'Upgrade: HTTP/2.0', cls: 'h2c', parts: [`GET /ws/x HTTP/1.1\r\nHost: app\r\nConnection: Upgrade\r\nUpgrade: HTTP/2.0\r\n\r\n${FORGED}`], statuses: [400], executed: [] },
  // An upgrade request with a body: the upstream would read the body as a body, Node as the new protocol.
  { name: 'upgrade with a Content-Length body holding a request', cls: 'upgrade body', parts: [UPGRADE('/ws/x', `Content-Length: ${FORGED.length}\r\n`) + FORGED], statuses: [400], executed: [] },
  { name: 'upgrade with a chunked body holding a request', cls: 'upgrade body', parts: [UPGRADE('/ws/x', 'Transfer-Encoding: chunked\r\n') + `${FORGED.length.toString(16)}\r\n${FORGED}\r\n0\r\n\r\n${FORGED}`], statuses: [400], executed: [] },
  // Protocols and routes that do not take upgrades.
  { name: 'websocket upgrade on a route without websockets', cls: 'upgrade route', parts: [UPGRADE('/plain/x') + FORGED], statuses: [403], executed: [] },
  { name: 'a protocol the route does not list', cls: 'upgrade route', parts: [`GET /ws/x HTTP/1.1\r\nHost: app\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n${FORGED}`], statuses: [403], executed: [] },
  { name: 'websocket beside a protocol the route does not list', cls: 'upgrade route', parts: [`GET /ws/x HTTP/1.1\r\nHost: app\r\nConnection: Upgrade\r\nUpgrade: websocket, tcp\r\n\r\n${FORGED}`], statuses: [403], executed: [] },
  { name: 'an upgrade to the admin route without a session', cls: 'upgrade route', parts: [UPGRADE('/admin/users/42') + FORGED], statuses: [401], executed: [] },
  // Singletons (issue 12 §3: two Host headers were a 502).
  { name: 'two Host headers', cls: 'repeated singleton', parts: ['GET /plain/x HTTP/1.1\r\nHost: app\r\nHost: internal.example\r\nConnection: close\r\n\r\n'], statuses: [400], executed: [] },
  { name: 'two Host headers, differently spelled', cls: 'repeated singleton', parts: ['GET /plain/x HTTP/1.1\r\nhost: app\r\nHOST: app\r\nConnection: close\r\n\r\n'], statuses: [400], executed: [] },
  { name: 'two Host headers on an upgrade', cls: 'repeated singleton', parts: [UPGRADE('/ws/x', 'Host: internal.example\r\n') + FORGED], statuses: [400], executed: [] },
  { name: 'two Authorization headers', cls: 'repeated singleton', parts: ['GET /plain/x HTTP/1.1\r\nHost: app\r\nAuthorization: Basic YTpi\r\nAuthorization: Bearer x\r\nConnection: close\r\n\r\n'], statuses: [400], executed: [] },
  { name: 'two Cookie headers', cls: 'repeated singleton', parts: ['GET /plain/x HTTP/1.1\r\nHost: app\r\nCookie: a=1\r\nCookie: role=admin\r\nConnection: close\r\n\r\n'], statuses: [400], executed: [] },
  // Pipelining on keep-alive: each request is judged on its own.
  { name: 'a forged request pipelined after a plain one', cls: 'pipelining', parts: [`GET /plain/x HTTP/1.1\r\nHost: app\r\n\r\n${FORGED.replace('\r\n\r\n', '\r\nConnection: close\r\n\r\n')}`], statuses: [200, 401], executed: ['GET /plain/x'] },
  { name: 'a forged request pipelined after a plain one with a body', cls: 'pipelining', parts: [`POST /plain/x HTTP/1.1\r\nHost: app\r\nContent-Length: 4\r\n\r\nabcd${FORGED.replace('\r\n\r\n', '\r\nConnection: close\r\n\r\n')}`], statuses: [200, 401], executed: ['POST /plain/x'] },
];

/** One response as the client got it, parsed strictly. */
export interface RawResponse {
  readonly status: number;
  /** Header lines in order, names lower-cased. */
  readonly headers: readonly (readonly [string, string])[];
  readonly body: Buffer;
  /** How the body was delimited. */
  readonly framing: 'content-length' | 'chunked' | 'close' | 'none';
}

/**
 * Parses every response in `raw` strictly (RFC 9112 §6.3): a body is delimited by exactly one of Content-Length
 * (one value) or chunked Transfer-Encoding, or by the close of the connection, which only the last response may use
 * and only with `Connection: close`. 1xx, 204 and 304 answers have no body. Throws on anything else, and on bytes
 * left over, so a test that parses the client's bytes fails on a misframed answer.
 */
export function parseResponses(raw: Buffer, options: { head?: boolean } = {}): RawResponse[] {
  const out: RawResponse[] = [];
  let at = 0;
  while (at < raw.length) {
    const end = raw.indexOf('\r\n\r\n', at, 'latin1');
    if (end < 0) throw new Error(`an incomplete response head at byte ${at}: ${JSON.stringify(raw.subarray(at, at + 200).toString('latin1'))}`);
    const [statusLine, ...lines] = raw.subarray(at, end).toString('latin1').split('\r\n');
    const m = /^HTTP\/1\.1 (\d{3}) [^\r\n]*$/.exec(statusLine!);
    if (m === null) throw new Error(`not a status line: ${JSON.stringify(statusLine)}`);
    const status = Number(m[1]);
    const headers = lines.map((line): [string, string] => {
      const colon = line.indexOf(':');
      if (colon <= 0 || /\s/.test(line.slice(0, colon))) throw new Error(`a malformed header line: ${JSON.stringify(line)}`);
      return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()];
    });
    const values = (name: string): string[] => headers.filter(([k]) => k === name).map(([, v]) => v);
    const lengths = values('content-length');
    const codings = values('transfer-encoding');
    if (lengths.length > 0 && codings.length > 0) throw new Error(`response ${out.length + 1} has both Content-Length and Transfer-Encoding`);
    if (lengths.length > 1) throw new Error(`response ${out.length + 1} has ${lengths.length} Content-Length headers`);
    at = end + 4;
    let body: Buffer = Buffer.alloc(0);
    let framing: RawResponse['framing'];
    if (status < 200 || status === 204 || status === 304 || options.head === true) {
      framing = 'none';
    } else if (codings.length > 0) {
      if (codings.join(',').trim().toLowerCase() !== 'chunked') throw new Error(`unsupported Transfer-Encoding ${codings.join(',')}`);
      framing = 'chunked';
      const chunks: Buffer[] = [];
      for (;;) {
        const lineEnd = raw.indexOf('\r\n', at, 'latin1');
        if (lineEnd < 0) throw new Error(`a chunked body cut short in response ${out.length + 1}`);
        const sizeText = raw.subarray(at, lineEnd).toString('latin1');
        if (!/^[0-9a-fA-F]+$/.test(sizeText)) throw new Error(`a bad chunk size ${JSON.stringify(sizeText)} in response ${out.length + 1} (a body de-chunked but still labelled chunked?)`);
        const size = parseInt(sizeText, 16);
        at = lineEnd + 2;
        if (size === 0) {
          if (raw.toString('latin1', at, at + 2) !== '\r\n') throw new Error('trailers are not expected');
          at += 2;
          break;
        }
        if (raw.length < at + size + 2) throw new Error(`a chunk cut short in response ${out.length + 1}`);
        chunks.push(raw.subarray(at, at + size));
        at += size + 2;
      }
      body = Buffer.concat(chunks);
    } else if (lengths.length === 1) {
      if (!/^\d+$/.test(lengths[0]!)) throw new Error(`a bad Content-Length ${lengths[0]}`);
      framing = 'content-length';
      const length = Number(lengths[0]);
      if (raw.length < at + length) throw new Error(`response ${out.length + 1} promised ${length} bytes and sent ${raw.length - at}`);
      body = raw.subarray(at, at + length);
      at += length;
    } else {
      if (!values('connection').some((v) => v.toLowerCase().split(',').map((t) => t.trim()).includes('close'))) {
        throw new Error(`response ${out.length + 1} has no length and no Connection: close`);
      }
      framing = 'close';
      body = raw.subarray(at);
      at = raw.length;
    }
    out.push({ status, headers, body, framing });
  }
  return out;
}

/**
 * Writes `parts` to 127.0.0.1:`port` on one connection (`gapMs` apart) and resolves every byte the server sent once
 * it has closed the connection; fails after `timeoutMs` (a server that never closes after a refusal is a bug too).
 */
export function sendParts(port: number, parts: readonly (string | Buffer)[], gapMs = 0, timeoutMs = 5000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server did not close within ${timeoutMs} ms; got ${JSON.stringify(Buffer.concat(chunks).toString('latin1').slice(0, 300))}`));
    }, timeoutMs);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => undefined); // a reset after the answer is judged by what arrived
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    });
    void (async () => {
      for (let i = 0; i < parts.length; i++) {
        if (i > 0 && gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
        if (socket.destroyed) return;
        const part = parts[i]!;
        socket.write(typeof part === 'string' ? Buffer.from(part, 'latin1') : part);
      }
    })();
  });
}
