import { loadConfigFile } from '../config/index.js';
import { ConfigError, formatConfigProblem } from '../errors/index.js';
import { parseFlags } from './flags.js';
import { USAGE } from './usage.js';

export const DEFAULT_CONFIG_PATH = 'config/gatehouse.yaml';

/** `gatehouse check-config`: "ok" and exit 0, or every problem on its own line and exit 1. */
export async function checkConfigCommand(args: string[]): Promise<number> {
  const { values } = parseFlags(args, { config: { type: 'string' as const, default: DEFAULT_CONFIG_PATH } });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  try {
    loadConfigFile(String(values.config));
    console.log('ok');
    return 0;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    for (const problem of err.problems) console.error(`${values.config}: ${formatConfigProblem(problem)}`);
    return 1;
  }
}
