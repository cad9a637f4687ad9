import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PAGE_TEMPLATES } from '../pages/page-renderer.js';
import { BUILT_IN_MAIL_TEMPLATES } from '../mail/mail-templates.js';
import { parseFlags, UsageError } from './flags.js';

/**
 * `gatehouse templates --out DIR`: writes the built-in templates, to edit and then name as `pages.templates_dir`
 * (pages/<page>.mustache) and `mail.templates_dir` (mail/<name>.<part>.mustache). Never overwrites a file.
 */
export async function templatesCommand(args: string[]): Promise<number> {
  const { values } = parseFlags(args, { out: { type: 'string' as const } });
  if (values.out === undefined) throw new UsageError('--out DIR is required');
  const out = String(values.out);
  const files: [string, string][] = [
    ...Object.entries(PAGE_TEMPLATES).map(([name, text]): [string, string] => [join(out, 'pages', `${name}.mustache`), text]),
    ...Object.entries(BUILT_IN_MAIL_TEMPLATES).flatMap(([name, t]): [string, string][] => [
      [join(out, 'mail', `${name}.subject.mustache`), t.subject], [join(out, 'mail', `${name}.txt.mustache`), t.text], [join(out, 'mail', `${name}.html.mustache`), t.html],
    ]),
  ];
  const existing = files.filter(([path]) => existsSync(path)).map(([path]) => path);
  if (existing.length > 0) {
    console.error(`gatehouse templates: not overwriting ${existing.length} existing file(s), e.g. ${existing[0]}`);
    return 1;
  }
  mkdirSync(join(out, 'pages'), { recursive: true });
  mkdirSync(join(out, 'mail'), { recursive: true });
  for (const [path, text] of files) writeFileSync(path, text);
  console.log(`wrote ${files.length} templates under ${out} (pages/ for pages.templates_dir, mail/ for mail.templates_dir)`);
  return 0;
}
