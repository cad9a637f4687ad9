import { readFileSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import type { ConfigProblem } from '../errors/index.js';

const REFERENCE = /\$\$|\$\{file:([^}]*)\}|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** Largest secret file read by `${file:...}` (a key, a password or a URL is a few hundred bytes; a PEM a few KiB). */
export const MAX_SECRET_FILE_BYTES = 65_536;

/** Reads a secret file for `${file:...}`; throws an Error whose message is the reason (never the contents). */
export type SecretFileReader = (path: string) => string;

/** The default reader: the file's UTF-8 text, refused past MAX_SECRET_FILE_BYTES. */
export const readSecretFile: SecretFileReader = (path) => {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new Error((err as NodeJS.ErrnoException).code ?? 'unreadable', { cause: err });
  }
  if (bytes.length > MAX_SECRET_FILE_BYTES) throw new Error(`larger than ${MAX_SECRET_FILE_BYTES} bytes`);
  return bytes.toString('utf8');
};

/**
 * Replaces `${VAR}`, `${VAR:-default}` (from `env`) and `${file:/absolute/path}` (the file's contents, one trailing
 * newline removed, as `kubectl create secret --from-file` and editors leave one) in every string of a parsed YAML
 * value. `$$` is a literal `$`. Interpolation runs on parsed scalars, not on the raw text, so a value from the
 * environment or a file can never inject YAML structure. An unset variable without a default, or a file that cannot
 * be read, is a problem naming the YAML path and the variable or file (never a value).
 */
export function interpolateEnv(
  value: unknown, env: NodeJS.ProcessEnv, problems: (ConfigProblem & { rawPath?: (string | number)[] })[], path: (string | number)[] = [],
  readFile: SecretFileReader = readSecretFile,
): unknown {
  if (typeof value === 'string') {
    return value.replace(REFERENCE, (whole, file: string | undefined, name: string | undefined, fallback: string | undefined) => {
      if (whole === '$$') return '$';
      if (file !== undefined) return fromFile(file, path, problems, readFile);
      const found = env[name!];
      if (found !== undefined && found !== '') return found;
      if (fallback !== undefined) return fallback;
      problems.push({ path: formatPath(path), rawPath: path, message: `environment variable ${name} is not set (use \${${name}:-default} for a default)` });
      return '';
    });
  }
  if (Array.isArray(value)) return value.map((item, i) => interpolateEnv(item, env, problems, [...path, i], readFile));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = interpolateEnv(item, env, problems, [...path, key], readFile);
    return out;
  }
  return value;
}

function fromFile(file: string, path: (string | number)[], problems: (ConfigProblem & { rawPath?: (string | number)[] })[], readFile: SecretFileReader): string {
  if (!isAbsolute(file)) {
    problems.push({ path: formatPath(path), rawPath: path, message: `\${file:${file}}: expected an absolute path, such as \${file:/var/run/secrets/gatehouse/client-secret}` });
    return '';
  }
  try {
    const text = readFile(file);
    return text.endsWith('\r\n') ? text.slice(0, -2) : text.endsWith('\n') ? text.slice(0, -1) : text;
  } catch (err) {
    problems.push({ path: formatPath(path), rawPath: path, message: `cannot read secret file ${file}: ${(err as Error).message}` });
    return '';
  }
}

/** Formats a path as YAML users read it: `routes[2].match.path`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}
