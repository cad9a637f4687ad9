// The built-in account email templates (Mustache: {{var}} is HTML-escaped in the HTML part, {{{var}}} is not;
// the text part and the subject are never escaped). Each can be replaced by a file in `mail.templates_dir`:
// <name>.subject.mustache, <name>.txt.mustache, <name>.html.mustache. Variables every template gets:
// product_name, email, name (may be empty), and the template's own (link, expires_in, client_ip, factor...).

/** One email template: subject, plain text and HTML. */
export interface MailTemplate {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

const FOOT_TEXT = '\n--\n{{product_name}}\nThis message was sent automatically; replies are not read.\n';
const htmlPart = (body: string): string =>
  '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{{product_name}}</title></head>' +
  '<body style="font-family:system-ui,sans-serif;color:#1b1f24;max-width:36rem;margin:0 auto;padding:1rem">' +
  `${body}<p style="color:#5b6470;font-size:.9rem">{{product_name}}. This message was sent automatically; replies are not read.</p></body></html>`;
const button = '<p><a href="{{link}}" style="display:inline-block;background:#1f5fbf;color:#fff;padding:.6rem 1rem;border-radius:.3rem;text-decoration:none">{{label}}</a></p>' +
  '<p style="font-size:.9rem">Or paste this address into your browser:<br><span style="word-break:break-all">{{link}}</span></p>';

/** The templates Gatehouse ships, by name. */
export const BUILT_IN_MAIL_TEMPLATES: Readonly<Record<string, MailTemplate>> = {
  'verify-email': {
    subject: 'Confirm your email address for {{product_name}}',
    text: 'Hello{{#name}} {{name}}{{/name}},\n\nPlease confirm that {{email}} is your address by opening this link:\n\n{{link}}\n\n' +
      'The link works once and expires in {{expires_in}}. If you did not create an account, ignore this message.\n' + FOOT_TEXT,
    html: htmlPart('<p>Hello{{#name}} {{name}}{{/name}},</p><p>Please confirm that <strong>{{email}}</strong> is your address.</p>' +
      button.replace('{{label}}', 'Confirm my address') +
      '<p>The link works once and expires in {{expires_in}}. If you did not create an account, ignore this message.</p>'),
  },
  'reset-password': {
    subject: 'Reset your {{product_name}} password',
    text: 'Hello{{#name}} {{name}}{{/name}},\n\nSomeone (from {{client_ip}}) asked to reset the password of {{email}}. To choose a new one, open:\n\n{{link}}\n\n' +
      'The link works once and expires in {{expires_in}}. Choosing a new password signs you out everywhere.\n' +
      'If you did not ask for this, ignore this message: your password stays as it is.\n' + FOOT_TEXT,
    html: htmlPart('<p>Hello{{#name}} {{name}}{{/name}},</p><p>Someone (from {{client_ip}}) asked to reset the password of <strong>{{email}}</strong>.</p>' +
      button.replace('{{label}}', 'Choose a new password') +
      '<p>The link works once and expires in {{expires_in}}. Choosing a new password signs you out everywhere.</p>' +
      '<p>If you did not ask for this, ignore this message: your password stays as it is.</p>'),
  },
  'password-changed': {
    subject: 'Your {{product_name}} password was changed',
    text: 'Hello{{#name}} {{name}}{{/name}},\n\nThe password of {{email}} was changed{{#client_ip}} from {{client_ip}}{{/client_ip}}, and every session was signed out.\n\n' +
      'If this was not you, reset your password at once: {{link}}\n' + FOOT_TEXT,
    html: htmlPart('<p>Hello{{#name}} {{name}}{{/name}},</p><p>The password of <strong>{{email}}</strong> was changed{{#client_ip}} from {{client_ip}}{{/client_ip}}, and every session was signed out.</p>' +
      '<p>If this was not you, <a href="{{link}}">reset your password</a> at once.</p>'),
  },
  'registration-attempt': {
    subject: 'Someone tried to sign up to {{product_name}} with your address',
    text: 'Hello{{#name}} {{name}}{{/name}},\n\nSomeone tried to create an account with {{email}}, which already has one.\n\n' +
      'If it was you, sign in instead; if you forgot your password, reset it here: {{link}}\nIf it was not you, nothing changed.\n' + FOOT_TEXT,
    html: htmlPart('<p>Hello{{#name}} {{name}}{{/name}},</p><p>Someone tried to create an account with <strong>{{email}}</strong>, which already has one.</p>' +
      '<p>If it was you, sign in instead; if you forgot your password, <a href="{{link}}">reset it</a>. If it was not you, nothing changed.</p>'),
  },
  'org-invitation': {
    subject: 'You are invited to {{org_name}} on {{product_name}}',
    text: 'Hello,\n\n{{inviter}} invited {{email}} to the organization {{org_name}} ({{org_slug}}) as {{role}}.\n\n' +
      'Sign in with this address (or create an account with it and confirm it), then accept within {{expires_in}} with this code:\n{{token}}\n' +
      '(the application does it for you, or: POST {{link}} with {"token": "<code>"}).\nIf you do not know this organization, ignore this message.\n' + FOOT_TEXT,
    html: htmlPart('<p>Hello,</p><p>{{inviter}} invited <strong>{{email}}</strong> to the organization <strong>{{org_name}}</strong> ({{org_slug}}) as {{role}}.</p>' +
      '<p>Sign in with this address (or create an account with it and confirm it), then accept within {{expires_in}} with this code:</p>' +
      '<p><code>{{token}}</code></p><p class="muted">The application does it for you, or: POST {{link}} with {"token": "&lt;code&gt;"}.</p>' +
      '<p>If you do not know this organization, ignore this message.</p>'),
  },
  'security-notice': {
    subject: '{{product_name}}: {{event}}',
    text: 'Hello{{#name}} {{name}}{{/name}},\n\n{{event}} on the account {{email}}{{#client_ip}} from {{client_ip}}{{/client_ip}}.\n\n' +
      'If this was not you, sign in and review your account, or reset your password: {{link}}\n' + FOOT_TEXT,
    html: htmlPart('<p>Hello{{#name}} {{name}}{{/name}},</p><p>{{event}} on the account <strong>{{email}}</strong>{{#client_ip}} from {{client_ip}}{{/client_ip}}.</p>' +
      '<p>If this was not you, sign in and review your account, or <a href="{{link}}">reset your password</a>.</p>'),
  },
};

export type MailTemplateName = 'verify-email' | 'reset-password' | 'password-changed' | 'registration-attempt' | 'security-notice' | 'org-invitation';
