import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { LineCounter, parseDocument, isNode, type Document } from 'yaml';
import type { z } from 'zod';
import { ConfigError, type ConfigProblem } from '../errors/index.js';
import { configSchema, crossCheckConfig, type GatehouseConfig } from './schema.js';
import { formatPath, interpolateEnv } from './interpolate.js';

/** Reads, interpolates and validates a configuration file; throws ConfigError listing every problem at once. */
export function loadConfigFile(file: string, env: NodeJS.ProcessEnv = process.env): GatehouseConfig {
  return readConfigFile(file, env).config;
}

/** Like loadConfigFile, and also the SHA-256 of the file's bytes (hex), which `gatehouse_config_info` exports. */
export function readConfigFile(file: string, env: NodeJS.ProcessEnv = process.env): { config: GatehouseConfig; sha256: string } {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    throw new ConfigError([{ path: '', message: `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}` }]);
  }
  return { config: parseConfigText(bytes.toString('utf8'), env), sha256: createHash('sha256').update(bytes).digest('hex') };
}

/** The SHA-256 (hex) of a file's bytes, or undefined when it cannot be read. */
export function fileSha256(file: string): string | undefined {
  try {
    return createHash('sha256').update(readFileSync(file)).digest('hex');
  } catch {
    return undefined;
  }
}

/** Validates configuration given as YAML text (the file's contents). */
export function parseConfigText(text: string, env: NodeJS.ProcessEnv = process.env): GatehouseConfig {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(doc.errors.map((e) => ({
      path: '', line: lines.linePos(e.pos[0]).line, message: `YAML syntax: ${e.message.split('\n')[0]}`,
    })));
  }
  const raw = doc.toJS({ maxAliasCount: 100 }) ?? {};
  const problems: (ConfigProblem & { rawPath?: (string | number)[] })[] = [];
  const interpolated = interpolateEnv(raw, env, problems);
  for (const p of problems) p.line ??= lineOf(doc, lines, p.rawPath ?? [], false);
  const result = configSchema.safeParse(environmentDefaults(interpolated, env), { reportInput: true });
  if (!result.success) problems.push(...result.error.issues.flatMap((issue) => describeIssue(issue, doc, lines)));
  for (const p of crossCheckConfig(interpolated)) problems.push({ path: formatPath(p.path), line: lineOf(doc, lines, p.path, false), message: p.message });
  if (problems.length > 0) throw new ConfigError(dedupe(problems).map(({ rawPath: _, ...p }) => p));
  return deepFreeze(result.data!);
}

/** The admin listener's address inside Kubernetes when the file names none (see `admin.listen` in schema.ts). */
export const KUBERNETES_ADMIN_LISTEN = '0.0.0.0:4181';

/**
 * Defaults that depend on where Gatehouse runs. Only one: in a Kubernetes pod (the kubelet sets
 * KUBERNETES_SERVICE_HOST in every container) the admin listener binds every interface unless the file says
 * otherwise, so probes and scrapes that come to the pod IP reach it; everywhere else the schema's loopback applies.
 */
function environmentDefaults(config: unknown, env: NodeJS.ProcessEnv): unknown {
  if (!env.KUBERNETES_SERVICE_HOST || config === null || typeof config !== 'object' || Array.isArray(config)) return config;
  const object = config as Record<string, unknown>;
  const admin = object.admin;
  if (admin === undefined || admin === null) return { ...object, admin: { listen: KUBERNETES_ADMIN_LISTEN } };
  if (typeof admin === 'object' && !Array.isArray(admin) && (admin as Record<string, unknown>).listen === undefined) {
    return { ...object, admin: { ...admin, listen: KUBERNETES_ADMIN_LISTEN } };
  }
  return config;
}

function describeIssue(issue: z.core.$ZodIssue, doc: Document, lines: LineCounter): ConfigProblem[] {
  const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({
      path: formatPath([...path, key]), line: lineOf(doc, lines, [...path, key], true), message: `unknown key "${key}"`,
    }));
  }
  return [{ path: formatPath(path), line: lineOf(doc, lines, path, false), message: messageOf(issue) }];
}

function messageOf(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined ? `required: expected ${issue.expected}` : `expected ${issue.expected}, got ${describeValue(issue.input)}`;
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${describeValue(issue.input)}`;
    default:
      return issue.message;
  }
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `${typeof value} ${JSON.stringify(value)}`;
}

/** The 1-based line of the YAML node at `path` (or of its key), when the document has one. */
function lineOf(doc: Document, lines: LineCounter, path: (string | number)[], wantKey: boolean): number | undefined {
  for (let depth = path.length; depth >= 0; depth--) {
    const parentPath = path.slice(0, Math.max(0, depth - 1));
    const node = depth === 0 ? doc.contents : doc.getIn(path.slice(0, depth), true);
    if (wantKey && depth === path.length) {
      const parent = doc.getIn(parentPath, true) ?? (parentPath.length === 0 ? doc.contents : undefined);
      const pair = (parent as { items?: { key?: { value?: unknown; range?: [number, number, number] } }[] } | undefined)?.items
        ?.find((item) => item.key?.value === path[depth - 1]);
      if (pair?.key?.range) return lines.linePos(pair.key.range[0]).line;
    }
    if (isNode(node) && node.range) return lines.linePos(node.range[0]).line;
  }
  return undefined;
}

function dedupe<T extends ConfigProblem>(problems: T[]): T[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.path}\u0000${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value)) deepFreeze(item);
  }
  return value;
}
