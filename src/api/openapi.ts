import { WEBHOOK_EVENTS } from './events.js';

// The OpenAPI 3.1 description of the SSO API, written as a TS object. test/api/openapi.test.ts checks that every
// route the router knows is here and that nothing here is missing from the router.

type Schema = Record<string, unknown>;
const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const str = (extra: Schema = {}): Schema => ({ type: 'string', ...extra });
const time = { type: ['string', 'null'], format: 'date-time' };
const page = (item: string): Schema => ({
  type: 'object', required: ['items', 'next_cursor'], additionalProperties: false,
  properties: { items: { type: 'array', items: ref(item) }, next_cursor: { type: ['string', 'null'] } },
});
const param = (name: string, description: string) => ({ name, in: 'path', required: true, description, schema: str() });
const query = (name: string, description: string, schema: Schema = str()) => ({ name, in: 'query', required: false, description, schema });
const PAGING = [
  query('limit', 'Page size, 1-500 (default 50).', { type: 'integer', minimum: 1, maximum: 500 }),
  query('cursor', 'The next_cursor of the previous page.'),
];
const AUDIT_FILTERS = [
  query('action', 'Only this action (e.g. member.added).'), query('actor', 'Only events by this user id.'),
  query('since', 'Events at or after this time (RFC 3339).', { type: 'string', format: 'date-time' }),
  query('until', 'Events before this time (RFC 3339).', { type: 'string', format: 'date-time' }),
];
const ORG = param('org', 'Organization id.');
const WEBHOOK = param('webhook', 'Webhook id.');
const USER = param('user', 'User id.');

const error = (description: string) => ({ description, content: { 'application/json': { schema: ref('Error') } } });
const STANDARD_ERRORS = {
  400: error('Invalid input: malformed JSON, wrong type, unknown field, bad format (names the field).'),
  401: error('Not signed in.'),
  403: error('Signed in but not allowed (or the Origin is another site).'),
  404: error('No such thing, or one the caller may not see.'),
  409: error('The change conflicts with the current state.'),
  413: error('Body too large.'),
  415: error('Body is not application/json.'),
};
const json = (schema: Schema) => ({ content: { 'application/json': { schema } } });
const ok = (status: number, description: string, schema?: Schema) => ({ [status]: { description, ...(schema ? json(schema) : {}) } });
const body = (schema: Schema, required = true) => ({ requestBody: { required, ...json(schema) } });
const EMPTY_BODY = body({ type: 'object', additionalProperties: false, maxProperties: 0 }, false);

function op(operationId: string, summary: string, parameters: unknown[], responses: Record<string, unknown>, extra: Schema = {}) {
  return { operationId, summary, parameters, ...extra, responses: { ...responses, ...STANDARD_ERRORS } };
}

/** The document served at GET /.gatehouse/api/v1/openapi.json. */
export const OPENAPI_DOCUMENT = {
  openapi: '3.1.0',
  info: {
    title: 'Gatehouse SSO API',
    version: '1',
    description: 'Organizations a platform owner approves, members and roles, webhooks, audit, session control. ' +
      'Authenticate with the session cookie or `Authorization: Bearer <token>`. State-changing requests must be ' +
      'application/json (CSRF defence) and may not name unknown fields. Lists are cursor-paginated.',
  },
  servers: [{ url: '/.gatehouse/api/v1' }],
  security: [{ bearer: [] }, { cookie: [] }],
  paths: {
    '/openapi.json': { get: { operationId: 'getOpenApi', summary: 'This document.', security: [], parameters: [], responses: ok(200, 'OpenAPI 3.1 document', { type: 'object' }) } },
    '/orgs': {
      post: op('createOrg', 'Ask for a new organization (pending, with the caller as owner).', [], ok(201, 'Created', ref('Organization')),
        body({ type: 'object', additionalProperties: false, required: ['slug', 'name'], properties: { slug: ref('Slug'), name: str({ minLength: 1, maxLength: 200 }) } })),
      get: op('listOrgs', 'Organizations the caller belongs to (all, for a platform owner).',
        [query('status', 'Only this status.', ref('OrgStatus')), ...PAGING], ok(200, 'A page', page('Organization'))),
    },
    '/orgs/{org}': { get: op('getOrg', 'One organization.', [ORG], ok(200, 'The organization', ref('Organization'))) },
    '/orgs/{org}/approve': { post: op('approveOrg', 'Approve (platform owner; from pending, rejected or suspended).', [ORG], ok(200, 'Approved', ref('Organization')), EMPTY_BODY) },
    '/orgs/{org}/reject': { post: op('rejectOrg', 'Reject (platform owner; from pending).', [ORG], ok(200, 'Rejected', ref('Organization')), EMPTY_BODY) },
    '/orgs/{org}/suspend': { post: op('suspendOrg', 'Suspend (platform owner; from approved).', [ORG], ok(200, 'Suspended', ref('Organization')), EMPTY_BODY) },
    '/orgs/{org}/members': {
      get: op('listMembers', 'Members (any member of an approved org; platform owners).', [ORG, ...PAGING], ok(200, 'A page', page('Member'))),
      post: op('addMember', 'Add a member (owner or admin; only owners add owners).', [ORG], ok(201, 'Added', ref('Member')),
        body({
          type: 'object', additionalProperties: false, required: ['role'],
          properties: { user_id: str(), email: str({ format: 'email' }), role: ref('MemberRole') },
          oneOf: [{ required: ['user_id'] }, { required: ['email'] }],
        })),
    },
    '/orgs/{org}/members/{user}': {
      patch: op('changeMemberRole', 'Change a role (owner or admin; only owners touch owners; the last owner stays).', [ORG, USER], ok(200, 'Changed', ref('Member')),
        body({ type: 'object', additionalProperties: false, required: ['role'], properties: { role: ref('MemberRole') } })),
      delete: op('removeMember', 'Remove a member (owner or admin), or leave (yourself). The last owner cannot leave.', [ORG, USER], ok(204, 'Removed'), EMPTY_BODY),
    },
    '/orgs/{org}/webhooks': {
      get: op('listWebhooks', 'Webhooks (owner or admin). Secrets are never listed.', [ORG, ...PAGING], ok(200, 'A page', page('Webhook'))),
      post: op('createWebhook', 'Register a webhook; the answer holds the signing secret, shown this once.', [ORG], ok(201, 'Created', ref('WebhookWithSecret')),
        body({ type: 'object', additionalProperties: false, required: ['url', 'events'], properties: { url: ref('WebhookUrl'), events: ref('Events'), active: { type: 'boolean' } } })),
    },
    '/orgs/{org}/webhooks/{webhook}': {
      patch: op('updateWebhook', 'Change url, events, active; rotate_secret makes a new secret (shown once).', [ORG, WEBHOOK], ok(200, 'Changed', ref('WebhookWithSecret')),
        body({ type: 'object', additionalProperties: false, minProperties: 1, properties: { url: ref('WebhookUrl'), events: ref('Events'), active: { type: 'boolean' }, rotate_secret: { type: 'boolean' } } })),
      delete: op('deleteWebhook', 'Delete a webhook and its deliveries.', [ORG, WEBHOOK], ok(204, 'Deleted'), EMPTY_BODY),
    },
    '/orgs/{org}/webhooks/{webhook}/test': {
      post: op('testWebhook', 'Queue a webhook.test delivery.', [ORG, WEBHOOK], ok(202, 'Queued', { type: 'object', properties: { delivery_id: str() } }), EMPTY_BODY),
    },
    '/orgs/{org}/webhooks/{webhook}/deliveries': {
      get: op('listDeliveries', 'Deliveries, newest first, each with every attempt.', [ORG, WEBHOOK, ...PAGING], ok(200, 'A page', page('Delivery'))),
    },
    '/orgs/{org}/audit': { get: op('orgAudit', "The organization's audit trail (owner, admin, platform owner).", [ORG, ...AUDIT_FILTERS, ...PAGING], ok(200, 'A page', page('AuditEvent'))) },
    '/audit': { get: op('platformAudit', 'The whole audit trail (platform owner).', [...AUDIT_FILTERS, query('org', 'Only this organization id.'), ...PAGING], ok(200, 'A page', page('AuditEvent'))) },
    '/users': { get: op('listUsers', 'Users (platform owner).', [query('role', 'Only holders of this platform role.'), ...PAGING], ok(200, 'A page', page('User'))) },
    '/users/{user}': {
      patch: op('setUserRoles', "Replace a user's platform roles (platform owner).", [USER], ok(200, 'Changed', ref('User')),
        body({ type: 'object', additionalProperties: false, required: ['roles'], properties: { roles: { type: 'array', maxItems: 32, items: str({ pattern: '^[A-Za-z][A-Za-z0-9_.:-]{0,63}$' }) } } })),
    },
    '/users/{user}/disable': { post: op('disableUser', 'Disable a user and end their sessions (platform owner).', [USER], ok(200, 'Disabled', ref('User')), EMPTY_BODY) },
    '/users/{user}/sessions': { delete: op('endUserSessions', "End all of a user's sessions (platform owner).", [USER], ok(200, 'Ended', ref('Ended')), EMPTY_BODY) },
    '/me/sessions': {
      get: op('listMySessions', 'Your sessions, newest first.', PAGING, ok(200, 'A page', page('Session'))),
      delete: op('endMySessions', 'Log out everywhere (keep_current=true keeps this session).',
        [query('keep_current', 'Keep the session this request came with.', { type: 'string', enum: ['true', 'false'] })], ok(200, 'Ended', ref('Ended')), EMPTY_BODY),
    },
    '/me/sessions/{session}': { delete: op('endMySession', 'End one of your sessions.', [param('session', 'Session id.')], ok(204, 'Ended'), EMPTY_BODY) },
  },
  components: {
    securitySchemes: {
      bearer: { type: 'http', scheme: 'bearer', description: 'The token from POST /.gatehouse/login (JSON).' },
      cookie: { type: 'apiKey', in: 'cookie', name: 'gatehouse_session', description: 'The session cookie (its name is sessions.cookie.name).' },
    },
    schemas: {
      Error: {
        type: 'object', required: ['error', 'code', 'message'],
        properties: { error: str({ description: 'e.g. invalid_request, forbidden' }), code: str({ description: 'GATE_ERR_*' }), message: str(), field: str({ description: 'The input at fault, when there is one.' }) },
      },
      Slug: str({ pattern: '^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$' }),
      OrgStatus: str({ enum: ['pending', 'approved', 'rejected', 'suspended'] }),
      MemberRole: str({ enum: ['owner', 'admin', 'member'] }),
      WebhookUrl: str({ format: 'uri', maxLength: 2048, description: 'http(s), no credentials, no fragment; non-public addresses refused unless webhooks.allow_private_targets.' }),
      Events: { type: 'array', minItems: 1, items: str({ enum: [...WEBHOOK_EVENTS, '*'] }) },
      Organization: {
        type: 'object',
        properties: { id: str(), slug: ref('Slug'), name: str(), status: ref('OrgStatus'), created_by: { type: ['string', 'null'] }, decided_by: { type: ['string', 'null'] }, decided_at: time, created_at: time, my_role: { type: ['string', 'null'] } },
      },
      Member: { type: 'object', properties: { user_id: str(), email: { type: ['string', 'null'] }, name: { type: ['string', 'null'] }, role: ref('MemberRole'), created_at: time } },
      Webhook: { type: 'object', properties: { id: str(), org_id: str(), url: str(), events: ref('Events'), active: { type: 'boolean' }, created_at: time } },
      WebhookWithSecret: { allOf: [ref('Webhook'), { type: 'object', properties: { secret: str({ description: 'whsec_...; shown only in this answer.' }) } }] },
      Attempt: {
        type: 'object',
        properties: { attempt: { type: 'integer' }, at: time, outcome: str(), response_code: { type: ['integer', 'null'] }, response_body: { type: ['string', 'null'] }, error: { type: ['string', 'null'] }, duration_ms: { type: 'integer' } },
      },
      Delivery: {
        type: 'object',
        properties: {
          id: str(), webhook_id: str(), event: str(), status: str({ enum: ['pending', 'delivering', 'delivered', 'failed'] }), attempts: { type: 'integer' },
          response_code: { type: ['integer', 'null'] }, response_body: { type: ['string', 'null'] }, next_attempt_at: time, created_at: time,
          updated_at: time, payload: { type: 'object' }, attempt_log: { type: 'array', items: ref('Attempt') },
        },
      },
      AuditEvent: {
        type: 'object',
        properties: { id: str(), at: time, actor: { type: ['string', 'null'] }, org: { type: ['string', 'null'] }, action: str(), target: { type: ['string', 'null'] }, client_ip: { type: ['string', 'null'] }, user_agent: { type: ['string', 'null'] }, data: {} },
      },
      User: {
        type: 'object',
        properties: { id: str(), email: str(), name: { type: ['string', 'null'] }, roles: { type: 'array', items: str() }, disabled: { type: 'boolean' }, created_at: time, last_seen_at: time, sessions_ended: { type: 'integer' } },
      },
      Session: {
        type: 'object',
        properties: { id: str(), current: { type: 'boolean' }, active: { type: 'boolean' }, created_at: time, last_seen_at: time, expires_at: time, idle_expires_at: time, revoked_at: time, user_agent: { type: ['string', 'null'] }, client_ip: { type: ['string', 'null'] } },
      },
      Ended: { type: 'object', properties: { sessions_ended: { type: 'integer' } } },
    },
  },
} as const;
