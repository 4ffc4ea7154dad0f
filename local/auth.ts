/**
 * The local runtime's stand-in for API Gateway's authorizer: bearer tokens from `REGISTRY_AUTH_FILE`, shaped
 * `{"tokens":{"<token>":{"principal":"alice","services":["orders"],"admin":false}}}`, and the tokens admins create
 * in the table (`POST /v1/tokens`, the same model the AWS Lambda authorizer checks), on every route. The file is the
 * bootstrap: an admin token from it creates the others. Without a file the runtime is in open local mode: every
 * caller is `anonymous` and may write any service, whatever token it sends (and open mode has no admin, so no
 * table token can be created there).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as z from 'zod';
import type { Caller } from '../lambdas/domain/caller.js';
import { UnauthenticatedError } from '../lambdas/domain/errors.js';
import { bearerOf, type Tokens } from '../lambdas/domain/tokens.js';
import { serviceName } from '@service-registry/contracts';

const MIN_TOKEN_LENGTH = 16;

const authFile = z.strictObject({
  tokens: z.record(
    z.string(),
    z.strictObject({
      principal: z.string().min(1).max(256),
      services: z.array(z.union([z.literal('*'), serviceName])),
      /** Services this token may read; defaults to the ones it may write. */
      read: z.array(z.union([z.literal('*'), serviceName])).optional(),
      admin: z.boolean().default(false),
    }),
  ),
});

/** The caller of a request from its `Authorization` header, or an `UnauthenticatedError` (401). */
export type Authorize = (authorization: string | undefined) => Promise<Caller>;

/** Checks the table's bearer tokens (`Tokens.authenticate` of lambdas/domain/tokens.ts). */
export type TableTokens = { authenticate(authorization: string | undefined): Promise<Caller> };

const OPEN: Caller = { principal: 'anonymous', services: ['*'], read: ['*'], admin: false };

const digest = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * Builds the authorizer. Tokens are kept and looked up by their SHA-256, so lookups take the same time whatever
 * prefix of a real token a guess shares.
 *
 * @example
 * const { authorize } = loadAuthorizer('/etc/registry/auth.json', tokens);
 * await authorize('Bearer s3cr3t-token-of-alice'); // => { principal: 'alice', services: ['orders'], read: ['orders'], admin: false }
 *
 * @param tables - the table's tokens, asked when a token is not one of the file's
 */
export function loadAuthorizer(file: string | undefined, tables?: TableTokens): { authorize: Authorize; enabled: boolean } {
  if (!file) return { authorize: async () => OPEN, enabled: false };
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`REGISTRY_AUTH_FILE ${file} could not be read as JSON: ${(error as Error).message}`);
  }
  const parsed = authFile.safeParse(raw);
  if (!parsed.success) {
    throw new Error(`REGISTRY_AUTH_FILE ${file} is invalid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  const short = Object.keys(parsed.data.tokens).filter((token) => token.length < MIN_TOKEN_LENGTH).length;
  if (short > 0)
    throw new Error(
      `REGISTRY_AUTH_FILE ${file} is invalid: ${short} token(s) shorter than ${MIN_TOKEN_LENGTH} characters; tokens must be at least ${MIN_TOKEN_LENGTH} characters`,
    );
  const callers = new Map<string, Caller>(
    Object.entries(parsed.data.tokens).map(([token, { read, ...caller }]) => [digest(token), { ...caller, read: read ?? caller.services }]),
  );
  const authorize: Authorize = async (authorization) => {
    const token = bearerOf(authorization);
    if (!token) throw new UnauthenticatedError('missing bearer token: send Authorization: Bearer <token>');
    const caller = callers.get(digest(token));
    if (caller) return caller;
    // Read at every request, never cached: a revoked token stops working here at once (AWS caches for a minute).
    if (tables) return tables.authenticate(authorization);
    throw new UnauthenticatedError('unknown bearer token');
  };
  return { authorize, enabled: true };
}

/**
 * The table's bearer tokens for the local authorizer, through the same domain and adapter as the AWS Lambda
 * authorizer and the same `Tokens` the token routes of this runtime use (`tokens()` is asked at each lookup: the
 * runtime builds its dependencies after it has decided whether auth is on).
 *
 * @example
 * const { authorize } = loadAuthorizer(process.env.REGISTRY_AUTH_FILE, tableTokens(() => deps.tokens));
 */
export function tableTokens(tokens: () => Tokens): TableTokens {
  return { authenticate: (authorization) => tokens().authenticate(authorization) };
}
