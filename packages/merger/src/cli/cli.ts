/**
 * `rims-merger`'s command line as a function: arguments, environment and output in, exit status
 * out. The binary (`bin.ts`) wires the process to it; tests call it directly.
 */
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { ConfigError, RimsError } from '@rims/schemas';
import { MERGER_SETTINGS, flagOf, loadMergerConfig, type MergerConfig } from '../config.js';
import { MergerConfigError } from '../errors.js';
import { auditCommand } from './commands/audit.js';
import { checkCommand } from './commands/check.js';
import { landCommand } from './commands/land.js';
import { provisionCommand } from './commands/provision.js';
import { rebuildHistoryCommand } from './commands/rebuild-history.js';
import { runCommand } from './commands/run.js';
import { sqlCommand } from './commands/sql.js';
import { EXIT, type CliIo, type CommandContext, type Flags } from './context.js';
import { HELP } from './help.js';
import { commandTelemetry } from './otel.js';

export { EXIT, type CliIo } from './context.js';

/** Each command and what runs it. */
const COMMANDS: Readonly<Record<string, (context: CommandContext) => number | Promise<number>>> = {
  provision: provisionCommand,
  land: landCommand,
  run: runCommand,
  sql: sqlCommand,
  audit: auditCommand,
  check: checkCommand,
  'rebuild-history': rebuildHistoryCommand,
};

/** Flags that take a value: one per setting (see config.ts), and the command-only ones. */
const STRING_FLAGS = [
  ...MERGER_SETTINGS.map(flagOf),
  'from',
  'to',
  'dialect',
  'only',
  'limit',
  'max-lag',
  'max-rejected-ratio',
  'max-dead-letters',
  'max-failed-runs',
  'window',
];
const BOOLEAN_FLAGS = ['dry-run', 'once', 'land', 'json', 'help'] as const;

function parseCommandLine(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      ...Object.fromEntries(STRING_FLAGS.map((name) => [name, { type: 'string' as const }])),
      ...Object.fromEntries(BOOLEAN_FLAGS.map((name) => [name, { type: 'boolean' as const }])),
    },
  });
}

/**
 * Runs `rims-merger` with `argv` (without node and the script) and returns the exit status: 0 done
 * (audit: clean), 1 failed (audit: findings), 2 bad configuration or usage, 3 (rebuild-history)
 * another run holds the merge lease.
 *
 * @example process.exitCode = await runCli(process.argv.slice(2), process.env, io);
 */
export async function runCli(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  io: CliIo,
): Promise<number> {
  const out = (line: string) => {
    io.stdout(`${line}\n`);
  };
  let parsed: ReturnType<typeof parseCommandLine>;
  try {
    parsed = parseCommandLine(argv);
  } catch (error) {
    io.stderr(`${(error as Error).message}\n\n${HELP}\n`);
    return EXIT.config;
  }
  const flags: Flags = parsed.values;
  const [command, ...extra] = parsed.positionals;
  if (flags.help === true || command === undefined || command === 'help') {
    out(HELP);
    return command === undefined && flags.help !== true ? EXIT.config : EXIT.ok;
  }
  const handler = COMMANDS[command];
  if (!handler || extra.length > 0) {
    io.stderr(`unknown command '${[command, ...extra].join(' ')}'\n\n${HELP}\n`);
    return EXIT.config;
  }
  const stringFlags = Object.fromEntries(
    STRING_FLAGS.map((name) => [name, typeof flags[name] === 'string' ? flags[name] : undefined]),
  );
  let config: MergerConfig;
  try {
    config = loadMergerConfig(env, stringFlags, io.cwd ?? process.cwd(), command);
  } catch (error) {
    if (error instanceof ConfigError || error instanceof RimsError) {
      io.stderr(`${error.message}\n`);
      return EXIT.config;
    }
    throw error;
  }
  // JSON log lines on stderr; results alone on stdout.
  const logger = pino(
    { level: config.LOG_LEVEL, base: { command } },
    {
      write: (line: string) => {
        io.stderr(line);
      },
    },
  );
  let stopped: Promise<string> | undefined;
  const untilStopped = () =>
    (stopped ??= new Promise<string>((resolve) => {
      io.onStopSignal((signal) => {
        logger.info({ signal }, 'stopping (send it again to exit at once)');
        resolve(signal);
      });
    }));
  const telemetry = commandTelemetry(config);
  try {
    return await handler({ config, flags, io, logger, out, untilStopped, meter: telemetry.meter });
  } catch (error) {
    // Bad configuration found only once a command looks at it (a window the library refuses) is
    // still bad configuration: exit 2, as documented, not 1.
    if (error instanceof ConfigError || error instanceof MergerConfigError) {
      io.stderr(`${error.message}\n`);
      return EXIT.config;
    }
    logger.error(
      { err: error, code: error instanceof RimsError ? error.code : undefined },
      (error as Error).message,
    );
    return EXIT.failed;
  } finally {
    await telemetry.shutdown();
  }
}
