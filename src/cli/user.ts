import { createHashPool } from '../auth/passwords/hash-pool.js';
import { checkNewPassword } from '../auth/passwords/password-policy.js';
import { checkEmail } from '../auth/local/account-fields.js';
import { isGatehouseError } from '../errors/index.js';
import { createMetrics } from '../metrics/metrics.js';
import { parseFlags, UsageError } from './flags.js';
import { DEFAULT_CONFIG_PATH } from './check-config.js';
import { openConfigStore, readStdin } from './open-config-store.js';
import { resetMfaTx, setPasswordTx } from './write-ops.js';
import type { GatehouseConfig } from '../config/index.js';
import type { Store } from '../store/store.js';

const SUBCOMMANDS = ['add', 'roles', 'disable', 'set-password', 'verify-email', 'reset-mfa'] as const;

/**
 * `gatehouse user add|roles|disable|set-password|verify-email`. Changes go straight to the store, with their
 * change-feed entry, so running replicas drop the user's cached sessions within storage.change_poll_interval.
 */
export async function userCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined || !(SUBCOMMANDS as readonly string[]).includes(sub)) {
    throw new UsageError(`expected one of: ${SUBCOMMANDS.join(', ')}`);
  }
  const { values } = parseFlags(rest, {
    'config': { type: 'string' as const, default: DEFAULT_CONFIG_PATH },
    'email': { type: 'string' as const },
    'name': { type: 'string' as const },
    'role': { type: 'string' as const, multiple: true as const },
    'add': { type: 'string' as const, multiple: true as const },
    'remove': { type: 'string' as const, multiple: true as const },
    'password-stdin': { type: 'boolean' as const, default: false },
  });
  if (values.email === undefined) throw new UsageError('--email is required');
  const opened = await openConfigStore(String(values.config));
  if (!opened) return 1;
  const { config, store } = opened;
  try {
    return await runUserCommand(sub as UserSubcommand, { ...values, email: values.email }, { config, store, readPassword: readStdin });
  } catch (err) {
    if (isGatehouseError(err)) {
      console.error(`gatehouse user ${sub}: ${err.message}`);
      return 1;
    }
    throw err;
  } finally {
    await store.close();
  }
}

export type UserSubcommand = typeof SUBCOMMANDS[number];

/** The flags of `gatehouse user` that the subcommands read. */
export interface UserFlags {
  email: string;
  name?: string | undefined;
  role?: string[] | undefined;
  add?: string[] | undefined;
  remove?: string[] | undefined;
  'password-stdin'?: boolean | undefined;
}

/**
 * Runs one subcommand against an open store (the tests run it in-process, to count the store's writer messages);
 * 0 on success, 1 on a refusal it reported. Each change is one write, or one named transaction (write-ops.ts).
 */
export async function runUserCommand(sub: UserSubcommand, values: UserFlags, env: { config: GatehouseConfig; store: Store; readPassword: () => Promise<string> }): Promise<number> {
  const { config, store } = env;
  if (sub === 'add') {
    const email = checkEmail(values.email);
    let passwordHash: string | null = null;
    if (values['password-stdin']) {
      const password = await env.readPassword();
      const refused = checkNewPassword(password, config.auth.local.password_min_length);
      if (refused !== undefined) {
        console.error(`gatehouse user add: password refused: ${refused}`);
        return 1;
      }
      passwordHash = await createHashPool({ config: config.auth.hash, metrics: createMetrics() }).hash(password);
    }
    const user = await store.users.create({ email, name: values.name ?? null, passwordHash, roles: unique(values.role ?? []) });
    console.log(JSON.stringify({ id: user.id, email: user.email, roles: user.roles }));
    return 0;
  }
  const user = await store.users.getByEmail(values.email);
  if (!user) {
    console.error(`gatehouse user ${sub}: no user with email ${values.email}`);
    return 1;
  }
  if (sub === 'set-password') {
    if (!values['password-stdin']) throw new UsageError('set-password reads the new password from standard input: pass --password-stdin');
    const password = await env.readPassword();
    const refused = checkNewPassword(password, config.auth.local.password_min_length);
    if (refused !== undefined) {
      console.error(`gatehouse user set-password: password refused: ${refused}`);
      return 1;
    }
    const passwordHash = await createHashPool({ config: config.auth.hash, metrics: createMetrics() }).hash(password);
    // Like a reset by link: the new password ends every session, and pending reset links stop working.
    const ended = await store.perform(setPasswordTx, { userId: user.id, passwordHash });
    await store.audit.insert([{ id: crypto.randomUUID(), at: new Date(), actor: null, org: null, action: 'user.password_set', target: user.id, clientIp: null, userAgent: 'gatehouse-cli', data: { sessions_ended: ended } }]);
    console.log(JSON.stringify({ id: user.id, email: user.email, password_set: true, sessions_ended: ended }));
    return 0;
  }
  if (sub === 'reset-mfa') {
    // For a user who lost their phone and their recovery codes: every second factor goes, sessions stay.
    const removed = await store.perform(resetMfaTx, { userId: user.id });
    await store.audit.insert([{ id: crypto.randomUUID(), at: new Date(), actor: null, org: null, action: 'mfa.reset', target: user.id, clientIp: null, userAgent: 'gatehouse-cli', data: removed }]);
    console.log(JSON.stringify({ id: user.id, email: user.email, removed }));
    return 0;
  }
  if (sub === 'verify-email') {
    const updated = user.emailVerifiedAt === null ? await store.users.update(user.id, { emailVerifiedAt: new Date() }) : user;
    await store.audit.insert([{ id: crypto.randomUUID(), at: new Date(), actor: null, org: null, action: 'user.email_verified', target: user.id, clientIp: null, userAgent: 'gatehouse-cli', data: { email: user.email, by: 'operator' } }]);
    console.log(JSON.stringify({ id: updated.id, email: updated.email, email_verified: true }));
    return 0;
  }
  if (sub === 'roles') {
    const remove = new Set(values.remove ?? []);
    const roles = unique([...user.roles, ...(values.add ?? [])]).filter((r) => !remove.has(r));
    const updated = await store.users.update(user.id, { roles });
    await store.audit.insert([{ id: crypto.randomUUID(), at: new Date(), actor: null, org: null, action: 'user.roles_changed', target: user.id, clientIp: null, userAgent: 'gatehouse-cli', data: { roles } }]);
    console.log(JSON.stringify({ id: updated.id, email: updated.email, roles: updated.roles }));
    return 0;
  }
  await store.users.update(user.id, { disabled: true });
  const ended = await store.sessions.revokeForUser(user.id);
  await store.audit.insert([{ id: crypto.randomUUID(), at: new Date(), actor: null, org: null, action: 'user.disabled', target: user.id, clientIp: null, userAgent: 'gatehouse-cli', data: { sessions_ended: ended } }]);
  console.log(JSON.stringify({ id: user.id, email: user.email, disabled: true, sessions_ended: ended }));
  return 0;
}

function unique(values: string[]): string[] {
  return [...new Set(values.map((v) => v.trim()).filter((v) => v !== ''))];
}
