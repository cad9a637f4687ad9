import type { ConfigProblem } from '../errors/index.js';

const REFERENCE = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * Replaces `${VAR}` and `${VAR:-default}` in every string of a parsed YAML value, from `env`. `$$` is a literal `$`.
 * Interpolation runs on parsed scalars, not on the raw text, so a value from the environment can never inject YAML
 * structure. An unset variable without a default is a problem naming the variable and the YAML path.
 */
export function interpolateEnv(
  value: unknown, env: NodeJS.ProcessEnv, problems: (ConfigProblem & { rawPath?: (string | number)[] })[], path: (string | number)[] = [],
): unknown {
  if (typeof value === 'string') {
    return value.replace(REFERENCE, (whole, name: string | undefined, fallback: string | undefined) => {
      if (whole === '$$') return '$';
      const found = env[name!];
      if (found !== undefined && found !== '') return found;
      if (fallback !== undefined) return fallback;
      problems.push({ path: formatPath(path), rawPath: path, message: `environment variable ${name} is not set (use \${${name}:-default} for a default)` });
      return '';
    });
  }
  if (Array.isArray(value)) return value.map((item, i) => interpolateEnv(item, env, problems, [...path, i]));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = interpolateEnv(item, env, problems, [...path, key]);
    return out;
  }
  return value;
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
