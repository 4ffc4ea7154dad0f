/**
 * What every `service-registry` command shares: the global options (`--url`, `--token`, `--region`, `--profile`,
 * `--json`) turned into a {@link RegistryClient}, output, and the one mapping of errors to a one-line message and
 * an exit code. ESM only (`.mts`): a bin needs one dialect, and the CLI is never imported by a CommonJS consumer.
 */
import { CommanderError, type Command } from 'commander';
import { RegistryClient, type RegistryClientOptions } from '../client.js';
import { RegistryApiError, RegistryDependencyError, RegistryResponseError, RegistryUnavailableError, RegistryValidationError } from '../errors.js';

/** Exit codes: scripts tell these cases apart. */
export const EXIT = { ok: 0, failed: 1, usage: 2, notFound: 3, unauthorized: 4, unreachable: 5 } as const;

/** The global options, as commander parses them. */
export interface GlobalOptions {
  readonly url: string;
  readonly token?: string;
  readonly region?: string;
  readonly profile?: string;
  readonly json?: boolean;
}

/** Where a command writes: stdout for results (the secret too), stderr for errors. */
export interface Io {
  out(line: string): void;
  err(line: string): void;
}

/** An execute-api URL names its region: `https://<id>.execute-api.<region>.amazonaws.com`. */
const EXECUTE_API = /^[a-z0-9]+\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$/;

/**
 * The client the global options describe: a bearer token when given (`--token`/`REGISTRY_TOKEN`); otherwise SigV4
 * (the AWS default credential chain, `--profile` choosing the profile) for an execute-api URL or when `--region` is
 * given; otherwise no credentials (the local runtime in open mode).
 *
 * @example
 * clientFrom({ url: 'https://abc123.execute-api.eu-west-1.amazonaws.com', profile: 'ops' }); // SigV4 in eu-west-1
 */
export function clientFrom(options: GlobalOptions): RegistryClient {
  return targetFrom(options).client;
}

/** The registry a command talks to, and how it authenticates (`sigv4` means an AWS deployment: no `/v1/events`). */
export interface Target {
  readonly client: RegistryClient;
  readonly auth: 'token' | 'sigv4' | 'none';
  /** The SigV4 region, when signing. */
  readonly region?: string;
}

/** {@link clientFrom}, saying which credentials it chose. */
export function targetFrom(options: GlobalOptions): Target {
  let url: URL;
  try {
    url = new URL(options.url);
  } catch {
    throw new UsageError(`--url '${options.url}' is not a URL (e.g. http://127.0.0.1:4000)`);
  }
  const base: RegistryClientOptions = { baseUrl: url.toString().replace(/\/$/, '') };
  const token = options.token ?? process.env.REGISTRY_TOKEN;
  if (token) return { client: new RegistryClient({ ...base, token }), auth: 'token' };
  const region = options.region ?? EXECUTE_API.exec(url.hostname)?.[1];
  if (!region) return { client: new RegistryClient(base), auth: 'none' };
  // The default credential chain reads the profile from the environment; this process is the CLI's own.
  if (options.profile) process.env.AWS_PROFILE = options.profile;
  return { client: new RegistryClient({ ...base, sigv4: { region } }), auth: 'sigv4', region };
}

/** A mistake in the command line itself (exit 2). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * The exit code and one-line message of any error a command throws.
 *
 * @example
 * failure(new RegistryApiError(404, 'TOKEN_NOT_FOUND', "token 'x' not found")); // => { code: 3, message: "token 'x' not found" }
 */
export function failure(error: unknown): { code: number; message: string } {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof CommanderError) return { code: error.exitCode === 0 ? EXIT.ok : EXIT.usage, message: message.replace(/^error: /, '') };
  if (error instanceof UsageError || error instanceof RegistryValidationError) return { code: EXIT.usage, message };
  if (error instanceof RegistryUnavailableError) return { code: EXIT.unreachable, message };
  if (error instanceof RegistryApiError) {
    const code =
      error.status === 404 ? EXIT.notFound : error.status === 401 || error.status === 403 ? EXIT.unauthorized : error.status === 400 ? EXIT.usage : EXIT.failed;
    const details = error.details?.length ? ` (${error.details.map((d) => `${d.field}: ${d.message}`).join('; ')})` : '';
    return { code, message: `${error.status} ${error.code}: ${error.message.replace(/\s+/g, ' ')}${details}` };
  }
  if (error instanceof RegistryResponseError || error instanceof RegistryDependencyError) return { code: EXIT.failed, message };
  return { code: EXIT.failed, message };
}

/** The global options of the program a subcommand belongs to. */
export function globals(command: Command): GlobalOptions {
  return command.optsWithGlobals<GlobalOptions & Record<string, unknown>>();
}
