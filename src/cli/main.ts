import { UsageError } from './flags.js';
import { USAGE } from './usage.js';
import { packageVersion } from './version.js';
import { checkConfigCommand } from './check-config.js';
import { serveCommand } from './serve.js';
import { demoCommand } from './demo.js';
import { userCommand } from './user.js';
import { hashPasswordCommand, migrateCommand } from './maintenance.js';
import { templatesCommand } from './templates.js';
import { keysCommand } from './keys.js';

/** A command's handler: gets its own arguments, returns an exit code (undefined: keep running, e.g. serve). */
type Command = (args: string[]) => Promise<number | undefined>;

const COMMANDS: Record<string, Command> = {
  'serve': serveCommand,
  'check-config': checkConfigCommand,
  'demo': demoCommand,
  'migrate': migrateCommand,
  'user': userCommand,
  'hash-password': hashPasswordCommand,
  'templates': templatesCommand,
  'keys': keysCommand,
};

/** Entry point of the `gatehouse` command; the only place that decides exit codes. */
export async function main(argv: string[]): Promise<number | undefined> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    console.log(USAGE);
    return first === undefined ? 2 : 0;
  }
  if (first === '--version' || first === '-v') {
    console.log(packageVersion());
    return 0;
  }
  const command = COMMANDS[first];
  if (command === undefined) {
    console.error(`gatehouse: unknown command "${first}" (known: ${Object.keys(COMMANDS).join(', ')}); see gatehouse --help`);
    return 2;
  }
  try {
    return await command(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`gatehouse ${first}: ${err.message}; see gatehouse --help`);
      return 2;
    }
    throw err;
  }
}
