import { z } from 'zod';
import { decodeCursor, MAX_PAGE } from '../store/cursor.js';
import { WEBHOOK_EVENTS } from './events.js';

// The SSO API's shapes, written once. Request schemas (bodies and query strings) are what api/validate.ts parses
// every request with; response schemas type the views (api/views.ts) and, with the request schemas, become the
// OpenAPI document (api/openapi.ts). A schema with `meta({ id })` is a named component of that document.
//
// Request objects are strict (unknown fields and query parameters are refused: no mass assignment). Path
// parameters are not validated here: an id of the wrong shape cannot exist, so handlers answer 404 for it as for
// any unknown id (api/access.ts).

/** Organization slugs: DNS-label-like, lower case, 1-63 characters (no ":" or ",": they separate X-Auth-Orgs). */
export const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
/** Ids in paths: what the store generates (UUIDs) and a little more; anything else cannot exist. */
export const ID = /^[A-Za-z0-9_-]{1,128}$/;
/** Platform role names. */
export const ROLE_NAME = /^[A-Za-z][A-Za-z0-9_.:-]{0,63}$/;

// ---- pieces ----

export const Slug = z.string().max(63).regex(SLUG, 'expected 1-63 lower-case letters, digits or "-", not starting or ending with "-"')
  .meta({ id: 'Slug', description: 'Lower-case letters, digits and "-"; 1-63 characters, not starting or ending with "-".' });
export const OrgStatus = z.enum(['pending', 'approved', 'rejected', 'suspended']).meta({ id: 'OrgStatus' });
export const MemberRole = z.enum(['owner', 'admin', 'member']).meta({ id: 'MemberRole' });
export const RoleName = z.string().max(64).regex(ROLE_NAME, 'expected a role name of letters, digits, "_", ".", ":" or "-"')
  .meta({ id: 'RoleName', description: 'A platform role, e.g. platform_owner.' });
export const EventName = z.enum([...WEBHOOK_EVENTS, '*']).meta({ id: 'EventName', description: '`*` subscribes to every event.' });
/** Subscribed events: at least one, duplicates dropped (order kept). */
export const Events = z.array(EventName).min(1).max(WEBHOOK_EVENTS.length + 1).overwrite((a) => [...new Set(a)])
  .meta({ id: 'Events' });
/** Checked further by api/webhook-url.ts (scheme, credentials, fragment, and the address it names). */
export const WebhookUrl = z.string().max(2048).meta({
  id: 'WebhookUrl', format: 'uri',
  description: 'http(s), no credentials, no fragment; non-public addresses refused unless webhooks.allow_private_targets.',
});

const noBlank = (s: string) => s !== '';
const name = z.string().min(1).max(200).overwrite((s) => s.trim()).refine(noBlank, 'must not be blank');

/** A query parameter that is a whole number from 1 to MAX_PAGE (query strings carry text). */
const limit = z.string().regex(/^\d{1,4}$/, `expected an integer from 1 to ${MAX_PAGE}`).transform(Number)
  .pipe(z.number().int().min(1, `expected an integer from 1 to ${MAX_PAGE}`).max(MAX_PAGE, `expected an integer from 1 to ${MAX_PAGE}`))
  .meta({
    description: `Page size, 1-${MAX_PAGE} (default 50).`,
    override: ({ jsonSchema }: Overridden) => replace(jsonSchema, { type: 'integer', minimum: 1, maximum: MAX_PAGE, description: `Page size, 1-${MAX_PAGE} (default 50).` }),
  });
const cursor = z.string().max(512, 'invalid page cursor').refine((c) => {
  try {
    decodeCursor(c);
    return true;
  } catch {
    return false;
  }
}, 'invalid page cursor').meta({ description: 'The next_cursor of the previous page.' });
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
/** An RFC 3339 time in a query string (e.g. `2026-01-31T12:00:00Z`), as a Date. */
const timeQuery = (description: string) => z.string()
  .refine((v) => RFC3339.test(v) && Number.isFinite(Date.parse(v)), 'expected an RFC 3339 time such as 2026-01-31T12:00:00Z')
  .transform((v) => new Date(Date.parse(v)))
  .meta({ description, override: ({ jsonSchema }: Overridden) => replace(jsonSchema, { type: 'string', format: 'date-time', description }) });

/** What zod-openapi hands a schema's `override`: the JSON Schema it rendered, to change in place. */
type Overridden = { jsonSchema: Record<string, unknown> };

function replace(target: Record<string, unknown>, schema: Record<string, unknown>): void {
  for (const key of Object.keys(target)) delete target[key];
  Object.assign(target, schema);
}

// ---- query strings ----

const paging = { limit: limit.optional(), cursor: cursor.optional() };
export const NoQuery = z.strictObject({});
export const PageQuery = z.strictObject(paging);
export const OrgListQuery = z.strictObject({ status: OrgStatus.optional().meta({ description: 'Only this status.' }), ...paging });
const auditFilters = {
  action: z.string().max(128).regex(/^[a-z0-9_.]+$/, 'expected an action name such as member.added').optional()
    .meta({ description: 'Only this action (e.g. member.added).' }),
  actor: z.string().max(255).optional().meta({ description: 'Only events by this user id.' }),
  since: timeQuery('Events at or after this time (RFC 3339).').optional(),
  until: timeQuery('Events before this time (RFC 3339).').optional(),
};
export const OrgAuditQuery = z.strictObject({ ...auditFilters, ...paging });
export const PlatformAuditQuery = z.strictObject({
  ...auditFilters,
  org: z.string().regex(ID, 'expected an organization id').optional().meta({ description: 'Only this organization id.' }),
  ...paging,
});
export const UserListQuery = z.strictObject({
  role: RoleName.optional().meta({ description: 'Only holders of this platform role.' }), ...paging,
});
export const EndSessionsQuery = z.strictObject({
  keep_current: z.enum(['true', 'false']).optional().meta({ description: 'Keep the session this request came with.' }),
});

// ---- request bodies ----

/** What endpoints that take no input accept: nothing, or `{}`. */
export const NoBody = z.strictObject({});
export const CreateOrgBody = z.strictObject({ slug: Slug, name });
export const AddMemberBody = z.strictObject({
  user_id: z.string().max(128).optional(),
  email: z.string().max(320).optional().meta({ description: 'The address the user signed up with (any case).' }),
  role: MemberRole,
}).superRefine((b, ctx) => {
  if ((b.user_id === undefined) === (b.email === undefined)) {
    ctx.addIssue({ code: 'custom', path: [b.user_id === undefined ? 'user_id' : 'email'], message: 'give exactly one of user_id and email' });
  }
}).meta({ description: 'Names the user by user_id or by email (exactly one).', oneOf: [{ required: ['user_id'] }, { required: ['email'] }] });
export const ChangeRoleBody = z.strictObject({ role: MemberRole });
export const CreateWebhookBody = z.strictObject({ url: WebhookUrl, events: Events, active: z.boolean().optional() });
export const UpdateWebhookBody = z.strictObject({
  url: WebhookUrl.optional(), events: Events.optional(), active: z.boolean().optional(),
  rotate_secret: z.boolean().optional().meta({ description: 'true makes a new secret, shown in this answer only.' }),
}).superRefine((b, ctx) => {
  if (b.url === undefined && b.events === undefined && b.active === undefined && b.rotate_secret !== true) {
    ctx.addIssue({ code: 'custom', path: ['body'], message: 'expected at least one of url, events, active, rotate_secret' });
  }
}).meta({ minProperties: 1 });
export const SetRolesBody = z.strictObject({ roles: z.array(RoleName).max(32).overwrite((a) => [...new Set(a)]) });

// ---- answers ----

const time = z.string().meta({ format: 'date-time' });
const nullable = <T extends z.ZodType>(t: T) => t.nullable();

export const ErrorBody = z.strictObject({
  error: z.string().meta({ description: 'A short reason, e.g. invalid_request, forbidden.' }),
  code: z.string().regex(/^GATE_ERR_[A-Z_]+$/).meta({ description: 'GATE_ERR_*: see docs/errors.md.' }),
  message: z.string(),
  field: z.string().optional().meta({ description: 'The input at fault, when there is one (e.g. events[0]).' }),
}).meta({ id: 'Error' });

export const Organization = z.strictObject({
  id: z.string(), slug: Slug, name: z.string(), status: OrgStatus, created_by: nullable(z.string()),
  decided_by: nullable(z.string()), decided_at: nullable(time), created_at: time,
  my_role: nullable(MemberRole).optional().meta({ description: "The caller's role in it (null when not a member)." }),
}).meta({ id: 'Organization' });
/** What adding a member by email answers, whether or not the address has an account (no enumeration). */
export const Invitation = z.strictObject({
  status: z.literal('invited'), email: z.string(), role: MemberRole, expires_at: time,
  token: z.string().meta({ description: 'The code to accept it with (also in the mail). Only the holder of the confirmed address can use it, so the inviter may pass it on.' }),
}).meta({ id: 'Invitation', description: 'An invitation mailed to the address; the person joins by accepting it, signed in with that confirmed address.' });
export const AcceptInvitationBody = z.strictObject({
  token: z.string().min(1).max(256).meta({ description: 'The code from the invitation mail.' }),
});
export const Member = z.strictObject({
  user_id: z.string(), email: nullable(z.string()), name: nullable(z.string()), role: MemberRole, created_at: time,
}).meta({ id: 'Member' });
export const User = z.strictObject({
  id: z.string(), email: z.string(), name: nullable(z.string()), roles: z.array(z.string()), disabled: z.boolean(),
  created_at: time, last_seen_at: nullable(time),
}).meta({ id: 'User' });
export const DisabledUser = User.extend({ sessions_ended: z.number().int().min(0) }).meta({ id: 'DisabledUser' });
export const Webhook = z.strictObject({
  id: z.string(), org_id: z.string(), url: z.string(), events: z.array(EventName), active: z.boolean(), created_at: time,
}).meta({ id: 'Webhook' });
export const WebhookWithSecret = Webhook.extend({ secret: z.string().meta({ description: 'whsec_...; shown only in this answer.' }) })
  .meta({ id: 'WebhookWithSecret' });
export const WebhookChanged = Webhook.extend({ secret: z.string().optional().meta({ description: 'The new secret when rotate_secret was true; shown only in this answer.' }) })
  .meta({ id: 'WebhookChanged' });
export const Attempt = z.strictObject({
  attempt: z.number().int().min(1), at: time,
  outcome: z.string().meta({ description: 'delivered, http_error, redirect, timeout, network_error, refused or skipped.' }),
  response_code: nullable(z.number().int()), response_body: nullable(z.string()), error: nullable(z.string()),
  duration_ms: z.number().int().min(0),
}).meta({ id: 'Attempt' });
export const Delivery = z.strictObject({
  id: z.string(), webhook_id: z.string(), event: z.string(),
  status: z.enum(['pending', 'delivering', 'delivered', 'failed']), attempts: z.number().int().min(0),
  response_code: nullable(z.number().int()), response_body: nullable(z.string()),
  next_attempt_at: nullable(time).meta({ description: 'When the next attempt is due (pending deliveries only).' }),
  created_at: time, updated_at: time, payload: z.unknown().meta({ description: 'The JSON body that is signed and sent.' }),
  attempt_log: z.array(Attempt),
}).meta({ id: 'Delivery' });
export const TestQueued = z.strictObject({ delivery_id: z.string() }).meta({ id: 'TestQueued' });
export const AuditEvent = z.strictObject({
  id: z.string(), at: time, actor: nullable(z.string()), org: nullable(z.string()), action: z.string(),
  target: nullable(z.string()), client_ip: nullable(z.string()), user_agent: nullable(z.string()), data: z.unknown(),
}).meta({ id: 'AuditEvent' });
export const Session = z.strictObject({
  id: z.string(), current: z.boolean(), active: z.boolean(), created_at: time, last_seen_at: time, expires_at: time,
  idle_expires_at: time, revoked_at: nullable(time), user_agent: nullable(z.string()), client_ip: nullable(z.string()),
}).meta({ id: 'Session' });
export const Ended = z.strictObject({ sessions_ended: z.number().int().min(0) }).meta({ id: 'Ended' });
export const OpenApiDocument = z.looseObject({ openapi: z.literal('3.1.0'), info: z.looseObject({}), paths: z.record(z.string(), z.unknown()) })
  .meta({ description: 'This document.' });

/** A page of `item`: `{"items": [...], "next_cursor": "..." | null}`. */
export function pageOf<T extends z.ZodType>(item: T, id: string) {
  return z.strictObject({
    items: z.array(item),
    next_cursor: nullable(z.string()).meta({ description: 'Pass as ?cursor= for the next page; null on the last.' }),
  }).meta({ id });
}
export const OrganizationPage = pageOf(Organization, 'OrganizationPage');
export const MemberPage = pageOf(Member, 'MemberPage');
export const WebhookPage = pageOf(Webhook, 'WebhookPage');
export const DeliveryPage = pageOf(Delivery, 'DeliveryPage');
export const AuditPage = pageOf(AuditEvent, 'AuditPage');
export const UserPage = pageOf(User, 'UserPage');
export const SessionPage = pageOf(Session, 'SessionPage');

/** What a view returns for a schema: its JSON (the output side, with the documented optional fields). */
export type Answer<T extends z.ZodType> = z.output<T>;
