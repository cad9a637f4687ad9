import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Mustache from 'mustache';
import { BUILT_IN_MAIL_TEMPLATES, type MailTemplate } from './mail-templates.js';
import { escapeHtml } from '../http/respond.js';

/** A rendered message, ready for a transport. */
export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

/** Renders account email from the built-in templates, each part replaceable by a file in `templatesDir`. */
export interface MailRenderer {
  render(template: string, vars: Record<string, unknown>): RenderedMail;
}

const PARTS = [['subject', 'subject'], ['text', 'txt'], ['html', 'html']] as const;

/**
 * Loads the templates once (at start: a broken override fails the start, not a send) and pre-parses them. Mustache
 * is logic-less, so an operator's template can lay out the message but cannot run code.
 */
export function createMailRenderer(options: { templatesDir?: string | undefined; productName: string }): MailRenderer {
  const templates = new Map<string, MailTemplate>();
  for (const [name, builtIn] of Object.entries(BUILT_IN_MAIL_TEMPLATES)) {
    const parts = { ...builtIn };
    if (options.templatesDir !== undefined) {
      for (const [part, ext] of PARTS) {
        const file = join(options.templatesDir, `${name}.${ext}.mustache`);
        if (existsSync(file)) parts[part] = readFileSync(file, 'utf8');
      }
    }
    for (const [part] of PARTS) Mustache.parse(parts[part]);
    templates.set(name, parts);
  }
  const plain = { escape: (value: unknown) => String(value) };
  const html = { escape: (value: unknown) => escapeHtml(String(value)) };
  return {
    render(name, vars) {
      const template = templates.get(name);
      if (template === undefined) throw new TypeError(`unknown mail template "${name}"`);
      const view = { product_name: options.productName, ...vars };
      // The subject becomes a header: no line breaks or other control characters may survive into it.
      // eslint-disable-next-line no-control-regex
      const subject = Mustache.render(template.subject, view, {}, plain).replace(/[\u0000-\u001f\u007f]+/g, ' ').trim().slice(0, 200);
      return { subject, text: Mustache.render(template.text, view, {}, plain), html: Mustache.render(template.html, view, {}, html) };
    },
  };
}
