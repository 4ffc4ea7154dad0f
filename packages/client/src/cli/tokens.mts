/**
 * `service-registry tokens create|list|revoke`: bearer tokens for clients that cannot sign SigV4 (admins only).
 * The secret is printed once, on stdout, when a token is created; the registry keeps only its SHA-256.
 */
import { InvalidArgumentError, type Command } from 'commander';
import type { CreatedToken, TokenRecord } from '@service-registry/contracts';
import { clientFrom, globals, type Io } from './shared.mjs';

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/**
 * A lifetime as `30d`, `12h`, `90m`, `3600s` or plain seconds.
 *
 * @example
 * parseExpiry('30d'); // => 2592000
 */
export function parseExpiry(value: string): number {
  const match = /^(\d+)([smhd]?)$/.exec(value.trim());
  if (!match) throw new InvalidArgumentError(`'${value}' is not a duration: use e.g. 30d, 12h, 90m or 3600s`);
  return Number(match[1]) * UNITS[match[2] || 's']!;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];
const list = (services: readonly string[]) => (services.length === 0 ? '-' : services.join(','));

/** Adds the `tokens` command group to `program`. */
export function addTokenCommands(program: Command, io: Io): void {
  const tokens = program.command('tokens').description('bearer tokens for clients that cannot sign SigV4 (admins only)');

  tokens
    .command('create')
    .description('create a token; its secret is printed once')
    .requiredOption('--principal <name>', 'who the token acts as (the owner of what it registers)')
    .option('--service <name>', 'a service it may write (repeatable; none: read-only)', collect)
    .option('--read <name>', 'a service it may read (repeatable; default: the --service ones; * for all)', collect)
    .option('--admin', 'an admin token: may do anything, manage tokens too')
    .option('--expires <duration>', 'lifetime, e.g. 30d, 12h, 90m (default: until revoked)', parseExpiry)
    .action(async (options: { principal: string; service?: string[]; read?: string[]; admin?: boolean; expires?: number }, command: Command) => {
      const global = globals(command);
      const created = await clientFrom(global).createToken({
        principal: options.principal,
        services: options.service ?? [],
        ...(options.read && { read: options.read }),
        admin: options.admin ?? false,
        ...(options.expires !== undefined && { expiresInSeconds: options.expires }),
      });
      if (global.json) return io.out(JSON.stringify(created));
      io.out(`token ${created.tokenId} created: ${describe(created)}`);
      io.out('secret (shown once; it cannot be read again):');
      io.out(created.secret);
    });

  tokens
    .command('list')
    .description('list tokens (never their secrets)')
    .action(async (_options: object, command: Command) => {
      const global = globals(command);
      const all = await clientFrom(global).listTokens();
      if (global.json) return io.out(JSON.stringify(all));
      if (all.length === 0) return io.out('no tokens');
      for (const token of all) io.out(`${token.tokenId}  ${describe(token)}`);
    });

  tokens
    .command('revoke')
    .description('revoke a token (locally at once; in AWS within the authorizer cache time, 60 s)')
    .argument('<tokenId>', 'the id `tokens list` shows')
    .action(async (tokenId: string, _options: object, command: Command) => {
      const global = globals(command);
      await clientFrom(global).revokeToken(tokenId);
      io.out(global.json ? JSON.stringify({ revoked: tokenId }) : `token ${tokenId} revoked`);
    });
}

function describe(token: TokenRecord | CreatedToken): string {
  return [
    `principal ${token.principal}`,
    `write ${list(token.services)}`,
    `read ${list(token.read)}`,
    ...(token.admin ? ['admin'] : []),
    token.expiresAt ? `expires ${token.expiresAt}` : 'no expiry',
    `created ${token.createdAt} by ${token.createdBy}`,
  ].join(', ');
}
