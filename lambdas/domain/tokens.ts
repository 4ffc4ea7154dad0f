/**
 * Bearer tokens for clients that cannot sign SigV4 (Prometheus, Eureka clients): one model for AWS (the Lambda
 * authorizer) and the local runtime. A token is scoped like the local auth file (principal, services it may write,
 * services it may read, admin) and stored by its SHA-256 only; the secret `srt_<tokenId>_<random>` is shown once,
 * when it is created. Lookup is by the public id, then a constant-time comparison of the hashes, so a guess learns
 * nothing from timing and a leaked table holds nothing that authenticates. No AWS imports: the store is a port.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { CreateTokenBody, TokenRecord } from '@service-registry/contracts';
import type { Caller } from './caller.js';
import { ForbiddenError, UnauthenticatedError } from './errors.js';

/** What a token lets its bearer do: the {@link Caller} the edge passes on. */
export type TokenGrant = Caller;

/** A token as stored: the grant, provenance and the secret's SHA-256 (hex), never the secret. */
export interface StoredToken extends TokenGrant {
  readonly tokenId: string;
  readonly hash: string;
  readonly createdAtMs: number;
  readonly createdBy: string;
  readonly expiresAtMs?: number;
}

/** Storage port of bearer tokens (`lambdas/adapters/dynamodb-token-store.ts`). */
export interface TokenStore {
  /** Stores a new token; fails if the id exists (a 64-bit random id: in practice never). */
  create(token: StoredToken): Promise<void>;
  get(tokenId: string): Promise<StoredToken | undefined>;
  list(): Promise<StoredToken[]>;
  /** Deletes a token; false when there was none. */
  remove(tokenId: string): Promise<boolean>;
}

const SECRET_PREFIX = 'srt_';
/** `srt_<16 hex>_<43 base64url>`: 32 random bytes after the id. */
const SECRET_PATTERN = /^srt_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

/** SHA-256 of a secret, hex: what the table holds. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/**
 * The token id of a secret shaped like ours, or `undefined`.
 *
 * @example
 * tokenIdOf('srt_3f2a9c0b7d1e4a56_q0Nn…'); // => '3f2a9c0b7d1e4a56'
 */
export function tokenIdOf(secret: string): string | undefined {
  return SECRET_PATTERN.exec(secret)?.[1];
}

/** The token of an `Authorization` header value (`Bearer <token>`, scheme in any case), or `undefined`. */
export function bearerOf(authorization: string | undefined): string | undefined {
  return /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
}

export interface TokensOptions {
  readonly store: TokenStore;
  /** @default Date.now */
  readonly now?: () => number;
  /** @default node:crypto randomBytes */
  readonly random?: (bytes: number) => Buffer;
}

/** Only admins manage tokens; the message says where an admin comes from in either place. */
function requireAdmin(caller: Caller): void {
  if (!caller.admin) {
    throw new ForbiddenError(
      `principal '${caller.principal}' is not an admin; only admins manage tokens (locally an admin token of REGISTRY_AUTH_FILE — open mode has no admin; in AWS a role given grantAdmin)`,
    );
  }
}

/**
 * Creating, listing, revoking and checking bearer tokens.
 *
 * @example
 * const tokens = new Tokens({ store });
 * const { secret } = await tokens.create(admin, { principal: 'prometheus', services: [], read: ['*'], admin: false });
 * await tokens.authenticate(`Bearer ${secret}`); // => { principal: 'prometheus', services: [], read: ['*'], admin: false }
 */
export class Tokens {
  private readonly now: () => number;
  private readonly random: (bytes: number) => Buffer;

  constructor(private readonly options: TokensOptions) {
    this.now = options.now ?? Date.now;
    this.random = options.random ?? randomBytes;
  }

  /** Creates a token (admins only); the secret is in the answer and nowhere else. */
  async create(caller: Caller, request: CreateTokenBody): Promise<{ token: TokenRecord; secret: string }> {
    requireAdmin(caller);
    const tokenId = this.random(8).toString('hex');
    const secret = `${SECRET_PREFIX}${tokenId}_${this.random(32).toString('base64url')}`;
    const nowMs = this.now();
    const stored: StoredToken = {
      tokenId,
      hash: hashSecret(secret),
      principal: request.principal,
      services: [...request.services],
      read: [...(request.read ?? request.services)],
      admin: request.admin,
      createdAtMs: nowMs,
      createdBy: caller.principal,
      ...(request.expiresInSeconds !== undefined && { expiresAtMs: nowMs + request.expiresInSeconds * 1000 }),
    };
    await this.options.store.create(stored);
    return { token: toTokenRecord(stored), secret };
  }

  /** Every token (admins only), oldest first, without secrets or hashes. */
  async list(caller: Caller): Promise<TokenRecord[]> {
    requireAdmin(caller);
    const all = await this.options.store.list();
    return all.sort((a, b) => a.createdAtMs - b.createdAtMs || a.tokenId.localeCompare(b.tokenId)).map(toTokenRecord);
  }

  /** Deletes a token (admins only): false when no such token exists. */
  async revoke(caller: Caller, tokenId: string): Promise<boolean> {
    requireAdmin(caller);
    return this.options.store.remove(tokenId);
  }

  /**
   * The caller a bearer token stands for, or an {@link UnauthenticatedError}: no or malformed header, unknown or
   * revoked id, wrong secret, expired. The messages never say which, so a guess learns nothing.
   */
  async authenticate(authorization: string | undefined): Promise<Caller> {
    const secret = bearerOf(authorization);
    if (!secret) throw new UnauthenticatedError('missing bearer token: send Authorization: Bearer <token>');
    const tokenId = tokenIdOf(secret);
    const stored = tokenId === undefined ? undefined : await this.options.store.get(tokenId);
    if (!stored || !sameHash(stored.hash, hashSecret(secret)) || (stored.expiresAtMs !== undefined && stored.expiresAtMs <= this.now())) {
      throw new UnauthenticatedError('unknown, revoked or expired bearer token');
    }
    return { principal: stored.principal, services: stored.services, read: stored.read, admin: stored.admin };
  }
}

/** Constant-time comparison of two hex digests (lengths are public: both are SHA-256). */
function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && timingSafeEqual(left, right);
}

/** A stored token as the API shows it: ISO times, no hash. */
export function toTokenRecord(token: StoredToken): TokenRecord {
  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    tokenId: token.tokenId,
    principal: token.principal,
    services: [...token.services],
    read: [...token.read],
    admin: token.admin,
    createdAt: iso(token.createdAtMs),
    createdBy: token.createdBy,
    ...(token.expiresAtMs !== undefined && { expiresAt: iso(token.expiresAtMs) }),
  };
}
