import { z } from 'zod';
import { durationMs } from '../config/schema-helpers.js';

/** An SMTP URL: smtp:// (STARTTLS when offered, required unless `require_tls: false`) or smtps:// (TLS from the start). */
const smtpUrl = z.string().refine((value) => {
  try {
    const u = new URL(value);
    return (u.protocol === 'smtp:' || u.protocol === 'smtps:') && u.hostname !== '';
  } catch {
    return false;
  }
}, { message: 'expected smtp://host:port or smtps://host:port' });

/** An address as it goes in From: (`Name <a@b.example>` or `a@b.example`). */
const fromAddress = z.string().regex(/^(?:[^<>\r\n]*<[^\s<>@]+@[^\s<>@]+>|[^\s<>@]+@[^\s<>@]+)$/, 'expected "Name <address@example.com>" or "address@example.com"');

/**
 * The `mail:` section: how Gatehouse sends account email (verification, password reset, notices). Messages are
 * written to the outbox in the transaction of the change that causes them and sent by the mail sender actor, so a
 * slow or absent mail server never slows a request.
 */
export const mailSchema = z.strictObject({
  smtp: z.strictObject({
    url: smtpUrl,
    from: fromAddress,
    /** Credentials: here (use ${ENV}), or the password from a file (a mounted Kubernetes Secret). */
    username: z.string().min(1).optional(),
    password: z.string().min(1).optional(),
    password_file: z.string().min(1).optional(),
    /** Refuse to send over a connection without TLS (STARTTLS on smtp://). Only loopback test servers turn it off. */
    require_tls: z.boolean().default(true),
    /** Whole-connection bound: connect, greeting and each command. */
    timeout: durationMs.default(10_000),
  }).optional(),
  /** Development: write each message to this directory as an .eml file instead of sending it (like Authelia's filesystem notifier). */
  file: z.strictObject({ path: z.string().min(1), from: fromAddress.default('Gatehouse <gatehouse@localhost>') }).optional(),
  /** A directory whose <template>.txt.mustache / <template>.html.mustache / <template>.subject.mustache replace the built-in ones. */
  templates_dir: z.string().min(1).optional(),
  outbox: z.strictObject({
    poll_interval: durationMs.default(1_000),
    batch_size: z.number().int().positive().max(100).default(10),
    max_attempts: z.number().int().positive().max(50).default(8),
    backoff_base: durationMs.default(10_000),
    backoff_cap: durationMs.default(3_600_000),
    /** A claim is held this long; it must exceed the SMTP timeout comfortably. */
    lease: durationMs.default(60_000),
    /** Sent and failed messages are deleted this long after their last attempt. */
    retention: durationMs.default(7 * 86_400_000),
    /** false on replicas that should not send (another replica must). */
    deliver: z.boolean().default(true),
  }).prefault({}),
}).superRefine((mail, ctx) => {
  if (mail.smtp && mail.file) ctx.addIssue({ code: 'custom', path: ['file'], message: 'choose one of mail.smtp and mail.file' });
  if (mail.smtp?.password !== undefined && mail.smtp.password_file !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['smtp', 'password_file'], message: 'choose one of password and password_file' });
  }
  if (mail.smtp && mail.outbox.lease < 2 * mail.smtp.timeout) {
    ctx.addIssue({ code: 'custom', path: ['outbox', 'lease'], message: 'must be at least twice mail.smtp.timeout' });
  }
}).prefault({});

export type MailConfig = z.output<typeof mailSchema>;
