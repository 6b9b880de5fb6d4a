/**
 * The command line: parses arguments, calls a command (lazy-loaded), maps errors to exit codes
 * (README, "Exit codes"). Users see one line; `--verbose` adds the stack and causes.
 */
import v8 from 'node:v8';
import { Command, CommanderError, Option } from 'commander';
import { processDeps, type Deps } from './deps.js';
import { ArtificeError, EXIT, exitCodeOf, oneLine } from './model/errors.js';
import { packageVersion } from './model/paths.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new CommanderError(EXIT.usage, 'artifice.usage', `--concurrency must be a whole number ≥ 1, got '${value}'`);
  return n;
}

function common(command: Command): Command {
  return command
    .option('--config <file>', 'the ini file (else $ARTIFICE_CONFIG, else ./artifice.ini)')
    .option('--verbose', 'show stack traces and causes of errors; bill/usage: a line per tenant on stderr');
}

function windowOptions(command: Command): Command {
  return command
    .option('--month <YYYY-MM>', 'a calendar month in [main] timezone (default: the previous month)')
    .option('--from <ISO>', 'window start (with --to), e.g. 2024-05-01 or 2024-05-01T00:00:00Z')
    .option('--to <ISO>', 'window end, exclusive');
}

function selection(command: Command): Command {
  return windowOptions(command)
    .option('--tenant <id>', 'a tenant (project) id, or a name Keystone resolves; repeat for several', collect)
    .option('--all', 'every tenant with telemetry in the window')
    .option('--json', 'print one JSON object instead of tables')
    .addOption(new Option('--concurrency <n>', 'tenants billed at once (default: [main] concurrency, 4)').argParser(positiveInt))
    .option('--quiet', 'no progress, no table: only errors (stderr) and the summary line (stdout)')
    .option('--explain', 'per tenant, the resources behind each line: quantity, samples, first/last sample, coverage gaps, rate');
}

type Action = (options: Record<string, unknown>, deps: Deps) => Promise<number>;

export function buildProgram(deps: Deps, run: (action: () => Promise<Action>, options: Record<string, unknown>) => Promise<void>): Command {
  const program = new Command('artifice')
    .description('Bills OpenStack tenants from Ceilometer/Gnocchi telemetry, recording every window in a SQLite ledger')
    .version(packageVersion())
    .showHelpAfterError('(run artifice --help for usage)')
    .configureOutput({ writeOut: deps.stdout, writeErr: deps.stderr })
    .exitOverride();

  common(selection(program.command('bill').description('bill windows: claim, collect, price, invoice, record')))
    .option('--dry-run', 'compute and print, write nothing (works on open windows)')
    .action((options) => run(async () => (await import('./commands/bill.js')).bill as Action, options));

  common(selection(program.command('usage').description('what bill would bill, read-only (works on open windows)')))
    .action((options) => run(async () => (await import('./commands/usage.js')).usage as Action, options));

  common(windowOptions(program.command('history').description('what the ledger holds'))
    .option('--tenant <id>', 'only this tenant', collect)
    .option('--lines', 'also each bill\'s lines and what priced them (rate row, tier, discount, minimum)')
    .option('--json', 'print JSON'))
    .action((options) => run(async () => (await import('./commands/history.js')).history as Action, options));

  common(windowOptions(program.command('void').description('void a committed bill so its window can be billed again'))
    .option('--tenant <id>', 'the tenant', collect)
    .option('--reason <text>', 'why (kept in the ledger)'))
    .action((options) => run(async () => (await import('./commands/void.js')).voidBill as Action, options));

  common(windowOptions(program.command('verify').description('recompute a billed window from the telemetry and compare it with the bill'))
    .option('--tenant <id>', 'the tenant', collect)
    .option('--json', 'print JSON'))
    .action((options) => run(async () => (await import('./commands/verify.js')).verify as Action, options));

  common(program.command('report').description('the month at a glance from the ledger: totals, changes, what to look at')
    .option('--month <YYYY-MM>', 'a calendar month in [main] timezone (default: the previous month)')
    .option('--html <file>', 'also write a self-contained HTML page with charts')
    .option('--json', 'print JSON'))
    .action((options) => run(async () => (await import('./commands/report.js')).report as Action, options));

  common(program.command('status').description('last run, pending claims, settled months not billed; exit 1 when unhealthy').option('--json', 'print JSON'))
    .action((options) => run(async () => (await import('./commands/status.js')).status as Action, options));

  common(program.command('check').description('check config, telemetry, adapter and price coverage').option('--json', 'print JSON'))
    .action((options) => run(async () => (await import('./commands/check.js')).check as Action, options));

  common(program.command('adapters').description('list the built-in invoice adapters; load the configured one and check it prices every service in every datacenter')
    .option('--flavor <name>', 'a flavor to price (repeatable; default: [flavors] and the rates file)', collect)
    .option('--json', 'print JSON'))
    .action((options) => run(async () => (await import('./commands/adapters.js')).adapters as Action, options));

  const ledger = program.command('ledger').description('maintain the ledger (docs/ledger.md)');
  common(ledger.command('backup <file>').description('copy the ledger to FILE with SQLite\'s online backup (safe while a run is billing) and check the copy')
    .option('--force', 'replace FILE when it exists'))
    .action((file: string, options) => run(async () => (await import('./commands/ledger.js')).ledgerBackup as Action, { ...options, file }));
  ledger.command('copy').description('copy an SQLite ledger, every row of it, into an empty PostgreSQL ledger (docs/ledger.md)')
    .requiredOption('--from <file>', 'the SQLite ledger file')
    .requiredOption('--to <url>', 'the PostgreSQL ledger: postgresql://user@host:5432/dbname (password from PGPASSWORD or ~/.pgpass)')
    .option('--force', 'copy even when the source has pending bills or running runs')
    .option('--verbose', 'show stack traces and causes of errors')
    .action((options) => run(async () => (await import('./commands/ledger.js')).ledgerCopy as Action, options));

  return program;
}

/**
 * How far V8 lets its heap grow past what a full collection found live. Left to itself it grows up
 * to 4× when a program allocates fast, as a run does (every answer is parsed, used, dropped): a
 * 1,000-tenant run peaked at 320 MiB while holding under 50 MiB. At most 100% keeps that run near
 * 210 MiB for some 10% more CPU (docs/performance.md, "Memory"). V8 reads it at each collection,
 * so it works when set at start; a `--heap-growing-percent` given to node is kept.
 */
const HEAP_GROWTH = '--heap-growing-percent=100';

function boundHeapGrowth(): void {
  if (!process.execArgv.some((arg) => /heap[-_]growing[-_]percent/.test(arg))) v8.setFlagsFromString(HEAP_GROWTH);
}

export async function main(argv: string[], deps: Deps = processDeps()): Promise<number> {
  boundHeapGrowth();
  let code: number = EXIT.ok;
  let verbose = argv.includes('--verbose');
  const program = buildProgram(deps, async (load, options) => {
    verbose = Boolean(options.verbose);
    code = await (await load())(options, deps);
  });
  try {
    await program.parseAsync(argv);
  } catch (error) {
    code = report(error, verbose, deps);
  }
  if (argv === process.argv) process.exitCode = code;
  return code;
}

function report(error: unknown, verbose: boolean, deps: Deps): number {
  if (error instanceof CommanderError) {
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return EXIT.ok;
    // Commander has already printed its message for its own parse errors.
    if (error.code === 'artifice.usage') deps.stderr(`artifice: ${error.message}\n`);
    return EXIT.usage;
  }
  if (error instanceof ArtificeError) {
    deps.stderr(`artifice: ${error.message}\n`);
  } else {
    deps.stderr(`artifice: internal error: ${oneLine(error)}${verbose ? '' : ' (run with --verbose for details)'}\n`);
  }
  if (verbose) {
    let cause: unknown = error;
    while (cause instanceof Error) {
      deps.stderr(`${cause.stack ?? cause.message}\n`);
      cause = cause.cause;
      if (cause) deps.stderr('caused by: ');
    }
  }
  return exitCodeOf(error);
}
