// A real SMTP server on 127.0.0.1:0 (the `smtp-server` package) that keeps every message it accepts, parsed with
// `mailparser`, so tests read what a person would find in their mailbox. It can refuse the next messages with a
// chosen reply (451 = try later, 550 = never) or answer slowly, to test the outbox's retries and that a slow mail
// server never slows a request.
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { simpleParser } from 'mailparser';
import { eventually } from './core-net.js';

/** One accepted message. */
export interface CapturedMail {
  to: string;
  from: string;
  subject: string;
  text: string;
  html: string;
  headers: Map<string, unknown>;
}

export interface SmtpCapture {
  readonly port: number;
  /** `smtp://127.0.0.1:<port>` */
  readonly url: string;
  readonly messages: CapturedMail[];
  /** Refuse the next `count` messages with `code` (451: temporary, 550: permanent). */
  refuseNext(count: number, code: 451 | 550): void;
  /** Wait this long before accepting each message's data (0: answer at once). */
  delay(ms: number): void;
  /** How many DATA commands arrived (accepted or refused). */
  readonly attempts: number;
  /** Waits for the first message to `to` matching `match` (subject or text) and returns it. */
  waitFor(to: string, match?: RegExp, timeoutMs?: number): Promise<CapturedMail>;
  /** Messages to one address. */
  to(address: string): CapturedMail[];
  close(): Promise<void>;
}

/** Starts the server; stop it with `close()` in `after`. */
export async function startSmtpCapture(): Promise<SmtpCapture> {
  const messages: CapturedMail[] = [];
  let refuse = 0;
  let refuseCode = 451;
  let delayMs = 0;
  let attempts = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, _session, callback) {
      attempts++;
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const finish = (): void => {
          if (refuse > 0) {
            refuse--;
            const err = new Error(refuseCode === 451 ? 'try again later' : 'mailbox unavailable') as Error & { responseCode: number };
            err.responseCode = refuseCode;
            callback(err);
            return;
          }
          void simpleParser(Buffer.concat(chunks)).then((parsed) => {
            const to = Array.isArray(parsed.to) ? parsed.to[0]?.text : parsed.to?.text;
            messages.push({
              to: (to ?? '').toLowerCase(), from: parsed.from?.text ?? '', subject: parsed.subject ?? '',
              text: parsed.text ?? '', html: typeof parsed.html === 'string' ? parsed.html : '', headers: parsed.headers as Map<string, unknown>,
            });
            callback();
          }, (err: Error) => callback(err));
        };
        if (delayMs > 0) setTimeout(finish, delayMs);
        else finish();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  const forAddress = (address: string): CapturedMail[] => messages.filter((m) => m.to === address.toLowerCase());
  return {
    port, url: `smtp://127.0.0.1:${port}`, messages,
    refuseNext(count, code) { refuse = count; refuseCode = code; },
    delay(ms) { delayMs = ms; },
    get attempts() { return attempts; },
    to: forAddress,
    waitFor(to, match, timeoutMs = 15_000) {
      return eventually(timeoutMs, `a message to ${to}${match ? ` matching ${match}` : ''}`,
        () => forAddress(to).find((m) => match === undefined || match.test(m.subject) || match.test(m.text)));
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The first Gatehouse link in a message's text part (`/.gatehouse/<path>?token=...`). */
export function linkIn(mail: CapturedMail, path: string): URL {
  const m = new RegExp(`https?://[^\\s]+/\\.gatehouse/${path}\\?token=[A-Za-z0-9_-]+`).exec(mail.text);
  if (m === null) throw new Error(`no /.gatehouse/${path} link in: ${mail.text}`);
  return new URL(m[0]);
}
