/**
 * Typed client of the registry's v1 API. Against AWS it signs every request with SigV4 (`execute-api`,
 * `@smithy/signature-v4`) with the credentials it is given or, by default, the AWS default credential chain
 * (`@aws-sdk/credential-provider-node`, an optional peer dependency loaded on the first signed request); against
 * the local runtime it sends a bearer token (or nothing, in open mode). Answers are validated with the contract's
 * zod schemas. Errors are typed: {@link RegistryApiError} carries the API's error code;
 * {@link RegistryUnavailableError} means the registry could not be reached; {@link RegistryResponseError} means an
 * answer did not match the contract.
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import type * as z from 'zod';
import {
  createdToken,
  tokenId as tokenIdSchema,
  tokenList,
  type createTokenBody,
  type CreatedToken,
  type TokenRecord,
  BULK_MAX_ITEMS,
  errorBody,
  heartbeatInstancesResults,
  type HeartbeatInstancesResult,
  heartbeatResult,
  historyPage,
  type HistoryPage,
  instanceId as instanceIdSchema,
  instanceList,
  instanceRecord,
  serviceList,
  serviceName as serviceNameSchema,
  type InstanceRecord,
  type PatchBody,
  type ProtectionStatus,
  type registerBody,
  registerInstancesResults,
  type registerInstancesItem,
  type RegisterInstancesResult,
  type ServiceSummary,
} from '@service-registry/contracts';
import { RegistryApiError, RegistryDependencyError, RegistryResponseError, RegistryUnavailableError, RegistryValidationError } from './errors.js';
import { canonicalQuery, queryMap, type QueryPair } from './query.js';
import { validated } from './validate.js';

/** What a service sends to register (defaults are filled by the registry). */
export type Registration = z.input<typeof registerBody>;

/** One instance of {@link RegistryClient.registerMany}: its id and what {@link Registration} holds. */
export type RegistrationItem = z.input<typeof registerInstancesItem>;

/**
 * One item's outcome in a bulk call, in the order the items were given: `status` 201/200 with `instance` (register)
 * or 200 with `leaseExpiresAt` (heartbeat), or the status and `error` a single call would have answered.
 */
export type { HeartbeatInstancesResult, RegisterInstancesResult };

/** What an admin sends to create a bearer token (`services` defaults to none: read-only; `read` to `services`). */
export type CreateTokenRequest = z.input<typeof createTokenBody>;

/** The answer of a heartbeat: the renewed lease. */
export type HeartbeatResult = z.output<typeof heartbeatResult>;

/** AWS credentials to sign with (the shape of the AWS SDK's `AwsCredentialIdentity`). */
export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  readonly expiration?: Date;
}

/** A source of {@link AwsCredentials}, like the AWS SDK's credential providers (`fromNodeProviderChain()`, `fromIni()`, …). */
export type AwsCredentialsProvider = () => Promise<AwsCredentials>;

/** SigV4 signing for API Gateway's IAM auth. */
export interface SigV4Options {
  /** The region of the registry's API. */
  readonly region: string;
  /**
   * Credentials, or a provider of them.
   * @default - the AWS default credential chain (environment, SSO, shared files, web identity, ECS/EC2 roles) from
   *   `@aws-sdk/credential-provider-node`, an optional peer dependency: install it, or pass credentials here
   */
  readonly credentials?: AwsCredentials | AwsCredentialsProvider;
}

export interface RegistryClientOptions {
  /** e.g. `http://127.0.0.1:4000` or the API URL output of the stack. */
  readonly baseUrl: string;
  /** Bearer token for the local runtime's auth file. @default - none (open local mode, or SigV4) */
  readonly token?: string;
  /** Sign with SigV4 for API Gateway's IAM auth. @default - not signed */
  readonly sigv4?: SigV4Options;
  /** Per-request timeout. @default 5000 */
  readonly timeoutMs?: number;
}

export interface DiscoverQuery {
  readonly status?: 'healthy' | 'all' | 'healthy_or_else_all';
  readonly zone?: string;
  readonly tags?: readonly string[];
  readonly meta?: Readonly<Record<string, string>>;
  readonly limit?: number;
  readonly cursor?: string;
}

/**
 * One page of discovery. `protection` is present while the registry's mass-failure guard is engaged: instances whose
 * lease ran out meanwhile are still listed, marked `leaseExpired: true` (see the balancers' panic threshold).
 */
export type DiscoverResult =
  | { readonly notModified: true; readonly etag: string }
  | {
      readonly notModified: false;
      readonly etag: string;
      readonly instances: InstanceRecord[];
      readonly cursor?: string;
      readonly protection?: ProtectionStatus;
    };

/**
 * Every method that takes a service name or an instance id checks it against the registry's own grammar first and
 * throws {@link RegistryValidationError} before sending anything.
 *
 * @example
 * const registry = new RegistryClient({ baseUrl: 'http://127.0.0.1:4000' });
 * await registry.register('orders', 'orders-1', { address: '10.0.0.5', port: 8080 });
 * const page = await registry.discover('orders');
 */
export class RegistryClient {
  private readonly signer?: SignatureV4;

  constructor(private readonly options: RegistryClientOptions) {
    if (options.sigv4) {
      const credentials = options.sigv4.credentials ?? defaultCredentialChain();
      this.signer = new SignatureV4({ service: 'execute-api', region: options.sigv4.region, credentials, sha256: Sha256 });
    }
  }

  /** The registry this client talks to. */
  get baseUrl(): string {
    return this.options.baseUrl;
  }

  /** Registers or replaces an instance; `created` is true for a new one (201). */
  async register(service: string, instanceId: string, registration: Registration): Promise<InstanceRecord & { created: boolean }> {
    const answer = await this.request('PUT', instancePath(service, instanceId), [], registration);
    return { ...validated(instanceRecord, answer.body, answer.what), created: answer.status === 201 };
  }

  /** One instance; a {@link RegistryApiError} with status 404 when it is gone or its lease ran out. */
  async get(service: string, instanceId: string): Promise<InstanceRecord> {
    const answer = await this.request('GET', instancePath(service, instanceId));
    return validated(instanceRecord, answer.body, answer.what);
  }

  /** Changes `status` (UP/DRAINING), `weight`, `metadata` or `tags`. */
  async patch(service: string, instanceId: string, changes: PatchBody): Promise<InstanceRecord> {
    const answer = await this.request('PATCH', instancePath(service, instanceId), [], changes);
    return validated(instanceRecord, answer.body, answer.what);
  }

  /** Renews the lease; a 404 ({@link RegistryApiError}) means: register again. */
  async heartbeat(service: string, instanceId: string): Promise<HeartbeatResult> {
    const answer = await this.request('POST', `${instancePath(service, instanceId)}/heartbeat`);
    return validated(heartbeatResult, answer.body, answer.what);
  }

  /**
   * Registers or replaces up to 100 instances of one service in one request (`PUT /v1/services/{service}/instances`),
   * each exactly as {@link register} would. Resolves with one result per item, in the order given, whether or not
   * every item succeeded (the registry answers 200 or 207): a refused item has its own `status` and `error`, and the
   * others are registered all the same. Throws {@link RegistryValidationError} before sending for a bad service
   * name, a bad or repeated instance id, or no items or more than 100; {@link RegistryApiError} when the registry
   * refuses the request as a whole (e.g. 403: the caller may not write the service), in which case nothing was written.
   *
   * @example
   * const { results } = await registry.registerMany('orders', [
   *   { instanceId: 'orders-1', address: '10.0.0.5', port: 8080, leaseSeconds: 30 },
   *   { instanceId: 'orders-2', address: '10.0.0.6', port: 8080, leaseSeconds: 30 },
   * ]);
   * for (const result of results) if (result.status >= 400) console.error(result.instanceId, result.error.message);
   */
  async registerMany(service: string, items: readonly RegistrationItem[]): Promise<{ results: RegisterInstancesResult[] }> {
    checkBatch(items.map((item) => item.instanceId));
    const answer = await this.request('PUT', servicePath(service, 'instances'), [], { instances: items });
    return { results: validated(registerInstancesResults, answer.body, answer.what).results };
  }

  /**
   * Renews the leases of up to 100 instances of one service in one request (`POST /v1/services/{service}/heartbeats`),
   * each exactly as {@link heartbeat} would: one result per id, in the order given. A result with status 404 means
   * that instance must be registered again. Validated before sending like {@link registerMany}.
   *
   * @example
   * const { results } = await registry.heartbeatMany('orders', ['orders-1', 'orders-2']);
   * const lost = results.filter((r) => r.status === 404).map((r) => r.instanceId); // register these again
   */
  async heartbeatMany(service: string, instanceIds: readonly string[]): Promise<{ results: HeartbeatInstancesResult[] }> {
    checkBatch(instanceIds);
    const answer = await this.request('POST', servicePath(service, 'heartbeats'), [], { instanceIds });
    return { results: validated(heartbeatInstancesResults, answer.body, answer.what).results };
  }

  /** Removes the instance (a 404 when it is already gone). */

  async deregister(service: string, instanceId: string): Promise<void> {
    await this.request('DELETE', instancePath(service, instanceId));
  }

  /** One page of discovery; with `ifNoneMatch`, a 304 comes back as `{ notModified: true }`. */
  async discover(service: string, query: DiscoverQuery = {}, ifNoneMatch?: string): Promise<DiscoverResult> {
    const params: QueryPair[] = [];
    if (query.status) params.push(['status', query.status]);
    if (query.zone) params.push(['zone', query.zone]);
    for (const tag of query.tags ?? []) params.push(['tag', tag]);
    for (const [k, v] of Object.entries(query.meta ?? {})) params.push([`meta.${k}`, v]);
    if (query.limit) params.push(['limit', String(query.limit)]);
    if (query.cursor) params.push(['cursor', query.cursor]);
    const path = `/v1/services/${encodeURIComponent(checkService(service))}/instances`;
    const answer = await this.request('GET', path, params, undefined, ifNoneMatch ? { 'if-none-match': ifNoneMatch } : {});
    const etag = answer.headers.get('etag') ?? '';
    if (answer.status === 304) return { notModified: true, etag };
    const page = validated(instanceList, answer.body, answer.what);
    return {
      notModified: false,
      etag,
      instances: page.instances,
      ...(page.cursor && { cursor: page.cursor }),
      ...(page.protection && { protection: page.protection }),
    };
  }

  /**
   * Every instance of a service across all pages, with the ETag of the first page and the registry's protection
   * status (present when any page said the mass-failure guard is engaged).
   */
  async discoverAll(
    service: string,
    query: Omit<DiscoverQuery, 'cursor'> = {},
  ): Promise<{ instances: InstanceRecord[]; etag: string; protection?: ProtectionStatus }> {
    const instances: InstanceRecord[] = [];
    let cursor: string | undefined;
    let etag = '';
    let protection: ProtectionStatus | undefined;
    do {
      const page = await this.discover(service, { ...query, limit: query.limit ?? 1000, ...(cursor && { cursor }) });
      if (page.notModified) break;
      if (!etag) etag = page.etag;
      protection ??= page.protection;
      instances.push(...page.instances);
      cursor = page.cursor;
    } while (cursor);
    return { instances, etag, ...(protection && { protection }) };
  }

  async listServices(): Promise<ServiceSummary[]> {
    const services: ServiceSummary[] = [];
    let cursor: string | undefined;
    do {
      const params: QueryPair[] = [['limit', '1000'], ...(cursor ? [['cursor', cursor] as const] : [])];
      const answer = await this.request('GET', '/v1/services', params);
      const page = validated(serviceList, answer.body, answer.what);
      services.push(...page.services);
      cursor = page.cursor;
    } while (cursor);
    return services;
  }

  /**
   * Creates a bearer token (admins only) for a client that cannot sign SigV4. The answer's `secret` is shown this
   * once: the registry keeps only its SHA-256.
   *
   * @example
   * const { tokenId, secret } = await registry.createToken({ principal: 'prometheus', read: ['*'] });
   */
  async createToken(request: CreateTokenRequest): Promise<CreatedToken> {
    const answer = await this.request('POST', '/v1/tokens', [], request);
    return validated(createdToken, answer.body, answer.what);
  }

  /** Every bearer token, without secrets (admins only). */
  async listTokens(): Promise<TokenRecord[]> {
    const answer = await this.request('GET', '/v1/tokens');
    return validated(tokenList, answer.body, answer.what).tokens;
  }

  /** Revokes a bearer token (admins only); a {@link RegistryApiError} with status 404 when there is no such token. */
  async revokeToken(tokenId: string): Promise<void> {
    await this.request('DELETE', `/v1/tokens/${encodeURIComponent(checked('tokenId', tokenIdSchema, tokenId))}`);
  }

  /**
   * One page of a service's change history, newest first: each change event with who made it (`principal`). With
   * `instanceId`, one instance's; with `since` (a `Date`, an ISO time or a duration back from now: `30m`, `1h`,
   * `7d`), only changes at or after it. Pass the answer's `cursor` for the next page.
   *
   * @example
   * const { entries } = await registry.history('orders', { instanceId: 'orders-1', since: '1h' });
   * for (const e of entries) console.log(e.time, e.detailType, e.principal);
   */
  async history(service: string, options: HistoryOptions = {}): Promise<HistoryPage> {
    const params: QueryPair[] = [];
    if (options.instanceId !== undefined) params.push(['instanceId', checkInstanceId(options.instanceId)]);
    if (options.since !== undefined) params.push(['since', options.since instanceof Date ? options.since.toISOString() : options.since]);
    if (options.limit !== undefined) params.push(['limit', String(options.limit)]);
    if (options.cursor !== undefined) params.push(['cursor', options.cursor]);
    const answer = await this.request('GET', `/v1/services/${encodeURIComponent(checkService(service))}/history`, params);
    return validated(historyPage, answer.body, answer.what);
  }

  /**
   * Every page of a service's change history, newest first, fetched as the loop asks for them.
   *
   * @example
   * for await (const page of registry.historyPages('orders', { since: '7d' })) console.log(page.entries.length);
   */
  async *historyPages(service: string, options: Omit<HistoryOptions, 'cursor'> = {}): AsyncGenerator<HistoryPage, void, undefined> {
    let cursor: string | undefined;
    do {
      const page = await this.history(service, { ...options, ...(cursor !== undefined && { cursor }) });
      yield page;
      cursor = page.cursor;
    } while (cursor !== undefined);
  }

  /**
   * The URL and headers of a raw request to the registry (the SSE feed uses them): the query is built the way
   * it is signed (see `query.ts`), and the headers carry the client's bearer token or SigV4 signature.
   */
  async authorizedRequest(method: string, path: string, query: readonly QueryPair[] = []): Promise<{ url: URL; headers: Record<string, string> }> {
    const url = this.url(path, query);
    return { url, headers: await this.sign(method, url, query, {}, undefined) };
  }

  /** Headers for a raw request without a query string. */
  async authHeaders(method: string, path: string): Promise<Record<string, string>> {
    return (await this.authorizedRequest(method, path)).headers;
  }

  private url(path: string, query: readonly QueryPair[]): URL {
    const url = new URL(path, this.options.baseUrl);
    // Assigned as the canonical string: only unreserved characters and %XX, which the URL parser leaves untouched.
    url.search = canonicalQuery(query);
    return url;
  }

  private async request(method: string, path: string, query: readonly QueryPair[] = [], body?: unknown, extra: Record<string, string> = {}) {
    const url = this.url(path, query);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers = await this.sign(method, url, query, { ...(payload && { 'content-type': 'application/json' }), ...extra }, payload);
    let res: Response;
    try {
      res = await fetch(url, { method, headers, ...(payload && { body: payload }), signal: AbortSignal.timeout(this.options.timeoutMs ?? 5000) });
    } catch (error) {
      throw new RegistryUnavailableError(`registry unreachable at ${this.options.baseUrl}: ${(error as Error).message}`, { cause: error });
    }
    const what = `${method} ${path} (${res.status})`;
    let text: string;
    try {
      text = await res.text();
    } catch (error) {
      throw new RegistryUnavailableError(`registry connection lost while reading ${what}: ${(error as Error).message}`, { cause: error });
    }
    let parsed: unknown;
    let notJson = false;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      notJson = true; // a proxy's HTML page, a truncated body: judged below
    }
    if (res.status >= 400) {
      // The error body is read only if it is the API's own shape; anything else keeps the status alone.
      const error = notJson ? undefined : errorBody.safeParse(parsed).data?.error;
      if (res.status >= 500 && !error) throw new RegistryUnavailableError(`registry answered ${res.status}`);
      throw new RegistryApiError(res.status, error?.code ?? `HTTP_${res.status}`, error?.message ?? `HTTP ${res.status}`, error?.details);
    }
    if (notJson) throw new RegistryResponseError(what, [{ path: '', message: `not JSON: ${JSON.stringify(text.slice(0, 80))}` }]);
    return { status: res.status, body: parsed, headers: res.headers, what };
  }

  private async sign(
    method: string,
    url: URL,
    query: readonly QueryPair[],
    headers: Record<string, string>,
    body: string | undefined,
  ): Promise<Record<string, string>> {
    if (this.options.token) return { ...headers, authorization: `Bearer ${this.options.token}` };
    if (!this.signer) return headers;
    const signed = await this.signer.sign({
      method,
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port && { port: Number(url.port) }),
      path: url.pathname,
      // The signer canonicalises these decoded pairs; `url.search` already holds exactly that canonical string.
      query: queryMap(query),
      headers: { ...headers, host: url.host },
      ...(body !== undefined && { body }),
    });
    return signed.headers as Record<string, string>;
  }
}

/**
 * The AWS default credential chain, loaded on the first signed request: `@aws-sdk/credential-provider-node` is an
 * optional peer dependency, so a client that signs with its own credentials (or uses a bearer token) does not need
 * it installed.
 */
function defaultCredentialChain(): AwsCredentialsProvider {
  let chain: Promise<AwsCredentialsProvider> | undefined;
  return async () => {
    chain ??= import('@aws-sdk/credential-provider-node').then(
      (module) => module.defaultProvider(),
      (error: unknown) => {
        chain = undefined; // installed later (or a transient failure): try again on the next request
        throw new RegistryDependencyError(
          '@aws-sdk/credential-provider-node',
          'SigV4 signing without `sigv4.credentials` uses the AWS default credential chain from @aws-sdk/credential-provider-node, which is not installed: `npm install @aws-sdk/credential-provider-node`, or pass `sigv4: { region, credentials }`',
          error,
        );
      },
    );
    return (await chain)();
  };
}

function servicePath(service: string, rest: string): string {
  return `/v1/services/${encodeURIComponent(checkService(service))}/${rest}`;
}

/**
 * The ids of a bulk call: 1 to 100, each valid, none twice (the registry refuses such a request whole; refused
 * here first, before anything is sent).
 */
function checkBatch(instanceIds: readonly unknown[]): void {
  if (instanceIds.length === 0 || instanceIds.length > BULK_MAX_ITEMS) {
    throw new RegistryValidationError('instanceId', `a bulk call takes 1 to ${BULK_MAX_ITEMS} instances, got ${instanceIds.length}`);
  }
  const seen = new Set<string>();
  for (const id of instanceIds) {
    const instanceId = checkInstanceId(id);
    if (seen.has(instanceId)) throw new RegistryValidationError('instanceId', `invalid instanceId ${JSON.stringify(instanceId)}: given more than once`);
    seen.add(instanceId);
  }
}

function instancePath(service: string, instanceId: string): string {
  return `/v1/services/${encodeURIComponent(checkService(service))}/instances/${encodeURIComponent(checkInstanceId(instanceId))}`;
}

/**
 * A service name as the registry's grammar allows it (the handlers' own zod schema), or a
 * {@link RegistryValidationError} before any request is made.
 *
 * @example
 * checkService('orders'); // => 'orders'
 * checkService('Orders'); // throws RegistryValidationError: invalid service 'Orders': must be a lower-case DNS label…
 */
export function checkService(service: unknown): string {
  return checked('service', serviceNameSchema, service);
}

/**
 * An instance id as the registry's grammar allows it, or a {@link RegistryValidationError}. Catches the unset
 * environment variable (`process.env.HOSTNAME!` is `undefined`, which would otherwise register an instance named
 * "undefined").
 *
 * @example
 * checkInstanceId(process.env.HOSTNAME); // throws when HOSTNAME is unset
 */
export function checkInstanceId(instanceId: unknown): string {
  return checked('instanceId', instanceIdSchema, instanceId);
}

function checked(field: RegistryValidationError['field'], schema: z.ZodType<string>, value: unknown): string {
  if (typeof value !== 'string') {
    throw new RegistryValidationError(
      field,
      `invalid ${field}: got ${value === null ? 'null' : typeof value}, expected a string (is the environment variable it comes from set?)`,
    );
  }
  const result = schema.safeParse(value);
  if (!result.success) throw new RegistryValidationError(field, `invalid ${field} ${JSON.stringify(value)}: ${result.error.issues[0]?.message ?? 'rejected'}`);
  return result.data;
}

/** Options of {@link RegistryClient.history}. */
export interface HistoryOptions {
  /** One instance's changes only. @default - every instance of the service */
  readonly instanceId?: string;
  /** Only changes at or after this: a `Date`, an ISO time, or a duration back from now (`30m`, `1h`, `7d`). @default - all kept */
  readonly since?: Date | string;
  /** Entries per page, 1-1000. @default 100 */
  readonly limit?: number;
  /** The `cursor` of the previous page. */
  readonly cursor?: string;
}
