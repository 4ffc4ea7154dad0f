/**
 * The local runtime's stand-in for API Gateway's authorizer: bearer tokens from `REGISTRY_AUTH_FILE`, shaped
 * `{"tokens":{"<token>":{"principal":"alice","services":["orders"],"admin":false}}}`. Without a file the
 * runtime is in open local mode: every caller is `anonymous` and may write any service.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as z from 'zod';
import type { Caller } from '../lambdas/domain/caller.js';
import { UnauthenticatedError } from '../lambdas/domain/errors.js';
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

export type Authorize = (authorization: string | undefined) => Caller;

const OPEN: Caller = { principal: 'anonymous', services: ['*'], read: ['*'], admin: false };

const digest = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * Builds the authorizer. Tokens are kept and looked up by their SHA-256, so lookups take the same time whatever
 * prefix of a real token a guess shares.
 *
 * @example
 * const authorize = loadAuthorizer('/etc/registry/auth.json');
 * authorize('Bearer s3cr3t-token-of-alice'); // => { principal: 'alice', services: ['orders'], read: ['orders'], admin: false }
 */
export function loadAuthorizer(file: string | undefined): { authorize: Authorize; enabled: boolean } {
  if (!file) return { authorize: () => OPEN, enabled: false };
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
  if (short > 0) throw new Error(`REGISTRY_AUTH_FILE ${file} is invalid: ${short} token(s) shorter than ${MIN_TOKEN_LENGTH} characters; tokens must be at least ${MIN_TOKEN_LENGTH} characters`);
  const callers = new Map<string, Caller>(
    Object.entries(parsed.data.tokens).map(([token, { read, ...caller }]) => [digest(token), { ...caller, read: read ?? caller.services }]),
  );
  const authorize: Authorize = (authorization) => {
    const token = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
    if (!token) throw new UnauthenticatedError('missing bearer token: send Authorization: Bearer <token>');
    const caller = callers.get(digest(token));
    if (!caller) throw new UnauthenticatedError('unknown bearer token');
    return caller;
  };
  return { authorize, enabled: true };
}
