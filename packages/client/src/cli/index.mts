#!/usr/bin/env node
/**
 * `service-registry`, the command line of `@service-registry/client`: services and instances (`instances.mts`),
 * `watch` (`watch.mts`), `history` (`history.mts`), `console` (`console.mts`) and `tokens` (`tokens.mts`), each
 * module adding its commands in {@link createProgram}. Errors are one line on stderr with a distinct exit code: 2
 * usage or bad input, 3 not found, 4 unauthorised or forbidden, 5 registry unreachable. Arguments are parsed by
 * commander (typed and repeatable options, generated help, no dependencies of its own); colour is picocolors (tiny,
 * honours NO_COLOR/FORCE_COLOR) and tables cli-table3 (column widths, truncation): small and well kept.
 */
import { Command } from 'commander';
import { EXIT, failure, type Io } from './shared.mjs';
import { addConsoleCommand } from './console.mjs';
import { addHistoryCommand } from './history.mjs';
import { addInstanceCommands } from './instances.mjs';
import { addTokenCommands } from './tokens.mjs';
import { addWatchCommand } from './watch.mjs';

/**
 * The program, writing through `io`.
 *
 * @example
 * await createProgram().parseAsync(['tokens', 'list', '--json'], { from: 'user' });
 */
export function createProgram(io: Io = { out: (line) => console.log(line), err: (line) => console.error(line) }): Command {
  const program = new Command('service-registry')
    .description('See and act on a service registry: services, instances, live changes, the web console, bearer tokens')
    .option('--url <url>', 'the registry (env REGISTRY_URL)', process.env.REGISTRY_URL ?? 'http://127.0.0.1:4000')
    // Read from the environment in clientFrom, not as a default: help would print a default, the token with it.
    .option('--token <token>', 'a bearer token (env REGISTRY_TOKEN)')
    .option('--region <region>', 'sign with SigV4 for this region (default: from an execute-api URL)')
    .option('--profile <profile>', 'AWS profile for SigV4 (the default credential chain otherwise)')
    .option('--json', 'print JSON instead of text (one document; watch: one object per line)')
    .configureOutput({ writeOut: (text) => process.stdout.write(text), writeErr: () => undefined })
    .exitOverride();
  addInstanceCommands(program, io);
  addWatchCommand(program, io);
  addHistoryCommand(program, io);
  addConsoleCommand(program, io);
  addTokenCommands(program, io);
  // Subcommands inherit the output settings and exit override, so every failure comes back to `run`.
  for (const command of program.commands) command.exitOverride().configureOutput({ writeErr: () => undefined });
  return program;
}

/** Runs the CLI on `argv` (without node and the script) and resolves to its exit code. */
export async function run(argv: readonly string[], io?: Io): Promise<number> {
  const err = io?.err ?? ((line: string) => console.error(line));
  try {
    await createProgram(io).parseAsync([...argv], { from: 'user' });
    return EXIT.ok;
  } catch (error) {
    const { code, message } = failure(error);
    if (code !== EXIT.ok) err(`service-registry: ${message}`);
    return code;
  }
}

process.exitCode = await run(process.argv.slice(2));
