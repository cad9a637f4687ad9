import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ServerResponse } from 'node:http';
import Mustache from 'mustache';
import type { PagesConfig } from './config-schema.js';
import { LAYOUT } from './templates/layout.js';
import { escapeHtml } from '../http/respond.js';
import * as AUTH from './templates/auth-pages.js';
import * as ACCOUNT from './templates/account-pages.js';

/** Every page Gatehouse renders, by template name (a file `<name>.mustache` in `pages.templates_dir` replaces it). */
export const PAGE_TEMPLATES: Readonly<Record<string, string>> = {
  'layout': LAYOUT,
  'field': AUTH.FIELD,
  'login': AUTH.LOGIN,
  'forgot-password': AUTH.FORGOT_PASSWORD,
  'forgot-password-sent': AUTH.FORGOT_PASSWORD_SENT,
  'reset-password': AUTH.RESET_PASSWORD,
  'verify-email': AUTH.VERIFY_EMAIL,
  'message': AUTH.MESSAGE,
  'logout': AUTH.LOGOUT,
  'error': AUTH.ERROR,
  'second-factor': ACCOUNT.SECOND_FACTOR,
  'account': ACCOUNT.ACCOUNT,
  'totp-setup': ACCOUNT.TOTP_SETUP,
  'recovery-codes': ACCOUNT.RECOVERY_CODES,
};

export type PageName = Exclude<keyof typeof PAGE_TEMPLATES, 'layout' | 'field'>;

/** HTML escaping of every {{value}}: the five characters that matter in text and quoted attributes. */
const ESCAPE = { escape: (value: unknown) => escapeHtml(String(value)) };

/** A form field as templates see it. */
export interface FieldView {
  id: string;
  name: string;
  label: string;
  type: string;
  value: string;
  error?: string;
  hint?: string;
  autocomplete?: string;
  inputmode?: string;
  required?: boolean;
  maxlength?: number;
  describedby?: string;
}

/** Builds a field, tying its hint and error to the input with aria-describedby. */
export function field(name: string, label: string, type: string, options: Partial<Omit<FieldView, 'name' | 'label' | 'type'>> = {}): FieldView {
  const id = options.id ?? name.replaceAll('_', '-');
  const describedby = [options.hint ? `${id}-hint` : '', options.error ? `${id}-error` : ''].filter(Boolean).join(' ');
  return { value: '', required: true, ...options, id, name, label, type, ...(describedby ? { describedby } : {}) };
}

/** What every page view may carry besides its own variables. */
export interface PageView {
  title: string;
  /** Field errors, shown in the summary (linked to their fields) and beside each field. */
  fields?: Record<string, FieldView>;
  /** A form-wide problem (shown in the summary). */
  alert?: string;
  /** A status line above the page (e.g. "Your password was changed"). */
  notice?: string;
  wide?: boolean;
  [key: string]: unknown;
}

export interface RenderOptions {
  status?: number;
  headers?: Record<string, string | string[]>;
  /** Scripts served by Gatehouse itself (only pages that need WebAuthn have any). */
  scripts?: string[];
}

/** Renders Gatehouse's pages from the built-in templates or an operator's replacements, with the configured brand. */
export interface PageRenderer {
  html(page: PageName, view: PageView, scripts?: string[]): string;
  send(res: ServerResponse, page: PageName, view: PageView, options?: RenderOptions): void;
}

/**
 * Loads templates once at start (a broken replacement fails the start, not a request) and renders pages with
 * Mustache: logic-less, so a replaced template can change the markup but cannot run code; every `{{value}}` is
 * HTML-escaped. Responses carry a CSP that allows nothing from elsewhere (the logo's origin excepted) and scripts
 * only from this site.
 */
export function createPageRenderer(config: PagesConfig): PageRenderer {
  const templates: Record<string, string> = {};
  for (const [name, builtIn] of Object.entries(PAGE_TEMPLATES)) {
    const file = config.templates_dir === undefined ? undefined : join(config.templates_dir, `${name}.mustache`);
    templates[name] = file !== undefined && existsSync(file) ? readFileSync(file, 'utf8') : builtIn;
    Mustache.parse(templates[name]!);
  }
  const logoOrigin = config.logo_url !== undefined && /^https:/.test(config.logo_url) ? ` ${new URL(config.logo_url).origin}` : '';
  const brand = config.colors;

  function html(page: PageName, view: PageView, scripts: string[] = []): string {
    const errors: { field?: string; message: string }[] = [];
    if (view.alert) errors.push({ message: view.alert });
    for (const f of Object.values(view.fields ?? {})) if (f.error) errors.push({ field: f.id, message: f.error });
    const full = {
      ...view, product_name: config.product_name, logo_url: config.logo_url, brand, errors, has_errors: errors.length > 0,
      main_class: view.wide ? 'wide' : '',
    };
    const body = Mustache.render(templates[page]!, full, { field: templates.field! }, ESCAPE);
    return Mustache.render(templates.layout!, { ...full, body, scripts }, {}, ESCAPE);
  }

  return {
    html,
    send(res, page, view, options = {}) {
      const text = html(page, view, options.scripts);
      const scriptSrc = options.scripts && options.scripts.length > 0 ? "script-src 'self'; connect-src 'self'; " : '';
      res.writeHead(options.status ?? 200, {
        'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'x-frame-options': 'DENY', 'referrer-policy': 'same-origin',
        'content-security-policy': `default-src 'none'; ${scriptSrc}style-src 'unsafe-inline'; img-src 'self' data:${logoOrigin}; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
        ...options.headers,
        'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(text),
      });
      res.end(text);
    },
  };
}
