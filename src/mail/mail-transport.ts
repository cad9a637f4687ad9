import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MailConfig } from './config-schema.js';
import type { RenderedMail } from './render-mail.js';

/** Sends one rendered message; rejects with a log-safe error when the server refuses or does not answer. */
export interface MailTransport {
  readonly kind: 'smtp' | 'file';
  send(to: string, message: RenderedMail, messageId: string): Promise<void>;
  close(): void;
}

/**
 * Builds the transport `mail:` describes, or undefined when mail is not configured. SMTP goes through nodemailer:
 * smtps:// is TLS from the first byte; smtp:// upgrades with STARTTLS and, unless `require_tls: false`, refuses a
 * server that does not offer it (credentials never cross in clear text). Every phase has a timeout.
 */
export async function createMailTransport(config: MailConfig): Promise<MailTransport | undefined> {
  if (config.smtp === undefined && config.file === undefined) return undefined;
  // Loaded only when mail is configured: nodemailer is the largest module on the start-up path otherwise.
  const { default: nodemailer } = await import('nodemailer');
  if (config.smtp !== undefined) {
    const smtp = config.smtp;
    const url = new URL(smtp.url);
    const secure = url.protocol === 'smtps:';
    const user = smtp.username ?? (url.username === '' ? undefined : decodeURIComponent(url.username));
    const pass = smtp.password ?? (smtp.password_file !== undefined ? readFileSync(smtp.password_file, 'utf8').trim()
      : url.password === '' ? undefined : decodeURIComponent(url.password));
    const transporter = nodemailer.createTransport({
      host: url.hostname.replace(/^\[|\]$/g, ''), port: url.port === '' ? (secure ? 465 : 587) : Number(url.port), secure,
      requireTLS: !secure && smtp.require_tls,
      ...(user !== undefined ? { auth: { user, pass: pass ?? '' } } : {}),
      connectionTimeout: smtp.timeout, greetingTimeout: smtp.timeout, socketTimeout: smtp.timeout, dnsTimeout: smtp.timeout,
      // One message per connection attempt: the outbox already batches and retries; no pool to go stale.
      pool: false, disableFileAccess: true, disableUrlAccess: true,
    });
    return {
      kind: 'smtp',
      async send(to, message, messageId) {
        await transporter.sendMail({
          from: smtp.from, to, subject: message.subject, text: message.text, html: message.html,
          messageId: `<${messageId}@gatehouse>`,
          // RFC 3834: automatic mail, so auto-responders do not answer it.
          headers: { 'Auto-Submitted': 'auto-generated' },
        });
      },
      close: () => transporter.close(),
    };
  }
  if (config.file !== undefined) {
    const file = config.file;
    mkdirSync(file.path, { recursive: true });
    const transporter = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
    return {
      kind: 'file',
      async send(to, message, messageId) {
        const info = await transporter.sendMail({
          from: file.from, to, subject: message.subject, text: message.text, html: message.html,
          messageId: `<${messageId}@gatehouse>`, headers: { 'Auto-Submitted': 'auto-generated' },
        });
        writeFileSync(join(file.path, `${Date.now()}-${messageId}.eml`), info.message as Buffer, { mode: 0o600 });
      },
      close: () => transporter.close(),
    };
  }
  return undefined;
}
