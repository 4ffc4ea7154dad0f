/**
 * Typed client of the registry's v1 API. Against AWS it signs every request with SigV4 (`execute-api`) using the
 * default credential chain (`@smithy/signature-v4`, `@aws-sdk/credential-provider-node`); against the local
 * runtime it sends a bearer token (or nothing, in open mode). Errors are typed: {@link RegistryApiError} carries
 * the API's error code; {@link RegistryUnavailableError} means the registry could not be reached.
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { SignatureV4 } from '@smithy/signature-v4';
import type { InstanceRecord, PatchBody, ServiceSummary } from '../lambdas/domain/schemas.js';
import type * as z from 'zod';
import type { registerBody } from '../lambdas/domain/schemas.js';
import { RegistryApiError, RegistryUnavailableError } from './errors.js';

/** What a service sends to register (defaults are filled by the registry). */
export type Registration = z.input<typeof registerBody>;

export interface RegistryClientOptions {
  /** e.g. `http://127.0.0.1:4000` or the API URL output of the stack. */
  readonly baseUrl: string;
  /** Bearer token for the local runtime's auth file. */
  readonly token?: string;
  /** Sign with SigV4 for API Gateway's IAM auth, in this region. */
  readonly sigv4?: { readonly region: string };
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

export type DiscoverResult =
  | { readonly notModified: true; readonly etag: string }
  | { readonly notModified: false; readonly etag: string; readonly instances: InstanceRecord[]; readonly cursor?: string };

/**
 * @example
 * const registry = new RegistryClient({ baseUrl: 'http://127.0.0.1:4000' });
 * await registry.register('orders', 'orders-1', { address: '10.0.0.5', port: 8080 });
 * const page = await registry.discover('orders');
 */
export class RegistryClient {
  private readonly signer?: SignatureV4;

  constructor(private readonly options: RegistryClientOptions) {
    if (options.sigv4) {
      this.signer = new SignatureV4({ service: 'execute-api', region: options.sigv4.region, credentials: defaultProvider(), sha256: Sha256 });
    }
  }

  register(service: string, instanceId: string, registration: Registration): Promise<InstanceRecord & { created: boolean }> {
    return this.request('PUT', instancePath(service, instanceId), registration).then(({ status, body }) => ({ ...(body as InstanceRecord), created: status === 201 }));
  }

  async get(service: string, instanceId: string): Promise<InstanceRecord> {
    return (await this.request('GET', instancePath(service, instanceId))).body as InstanceRecord;
  }

  async patch(service: string, instanceId: string, changes: PatchBody): Promise<InstanceRecord> {
    return (await this.request('PATCH', instancePath(service, instanceId), changes)).body as InstanceRecord;
  }

  async heartbeat(service: string, instanceId: string): Promise<{ leaseExpiresAt: string; revision: number }> {
    return (await this.request('POST', `${instancePath(service, instanceId)}/heartbeat`)).body as { leaseExpiresAt: string; revision: number };
  }

  async deregister(service: string, instanceId: string): Promise<void> {
    await this.request('DELETE', instancePath(service, instanceId));
  }

  /** One page of discovery; with `ifNoneMatch`, a 304 comes back as `{ notModified: true }`. */
  async discover(service: string, query: DiscoverQuery = {}, ifNoneMatch?: string): Promise<DiscoverResult> {
    const params = new URLSearchParams();
    if (query.status) params.set('status', query.status);
    if (query.zone) params.set('zone', query.zone);
    for (const tag of query.tags ?? []) params.append('tag', tag);
    for (const [k, v] of Object.entries(query.meta ?? {})) params.set(`meta.${k}`, v);
    if (query.limit) params.set('limit', String(query.limit));
    if (query.cursor) params.set('cursor', query.cursor);
    const qs = params.toString();
    const { status, body, headers } = await this.request('GET', `/v1/services/${encodeURIComponent(service)}/instances${qs ? `?${qs}` : ''}`, undefined, ifNoneMatch ? { 'if-none-match': ifNoneMatch } : {});
    const etag = headers.get('etag') ?? '';
    if (status === 304) return { notModified: true, etag };
    const page = body as { instances: InstanceRecord[]; cursor?: string };
    return { notModified: false, etag, instances: page.instances, ...(page.cursor && { cursor: page.cursor }) };
  }

  /** Every instance of a service across all pages, with the ETag of the first page. */
  async discoverAll(service: string, query: Omit<DiscoverQuery, 'cursor'> = {}): Promise<{ instances: InstanceRecord[]; etag: string }> {
    const instances: InstanceRecord[] = [];
    let cursor: string | undefined;
    let etag = '';
    do {
      const page = await this.discover(service, { ...query, limit: query.limit ?? 1000, ...(cursor && { cursor }) });
      if (page.notModified) break;
      if (!etag) etag = page.etag;
      instances.push(...page.instances);
      cursor = page.cursor;
    } while (cursor);
    return { instances, etag };
  }

  async listServices(): Promise<ServiceSummary[]> {
    const services: ServiceSummary[] = [];
    let cursor: string | undefined;
    do {
      const page = (await this.request('GET', `/v1/services?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)).body as { services: ServiceSummary[]; cursor?: string };
      services.push(...page.services);
      cursor = page.cursor;
    } while (cursor);
    return services;
  }

  /** Headers for a raw request to the registry (the SSE feed uses them). */
  async authHeaders(method: string, path: string): Promise<Record<string, string>> {
    return this.sign(method, new URL(path, this.options.baseUrl), {}, undefined);
  }

  private async request(method: string, path: string, body?: unknown, extra: Record<string, string> = {}) {
    const url = new URL(path, this.options.baseUrl);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers = await this.sign(method, url, { ...(payload && { 'content-type': 'application/json' }), ...extra }, payload);
    let res: Response;
    try {
      res = await fetch(url, { method, headers, ...(payload && { body: payload }), signal: AbortSignal.timeout(this.options.timeoutMs ?? 5000) });
    } catch (error) {
      throw new RegistryUnavailableError(`registry unreachable at ${this.options.baseUrl}: ${(error as Error).message}`, { cause: error });
    }
    const text = await res.text();
    const parsed: unknown = text ? JSON.parse(text) : undefined;
    if (res.status >= 400) {
      const error = (parsed as { error?: { code?: string; message?: string; details?: Array<{ field: string; message: string }> } } | undefined)?.error;
      if (res.status >= 500 && !error) throw new RegistryUnavailableError(`registry answered ${res.status}`);
      throw new RegistryApiError(res.status, error?.code ?? `HTTP_${res.status}`, error?.message ?? `HTTP ${res.status}`, error?.details);
    }
    return { status: res.status, body: parsed, headers: res.headers };
  }

  private async sign(method: string, url: URL, headers: Record<string, string>, body: string | undefined): Promise<Record<string, string>> {
    if (this.options.token) return { ...headers, authorization: `Bearer ${this.options.token}` };
    if (!this.signer) return headers;
    const signed = await this.signer.sign({
      method,
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port && { port: Number(url.port) }),
      path: url.pathname,
      query: queryMap(url.searchParams),
      headers: { ...headers, host: url.host },
      ...(body !== undefined && { body }),
    });
    return signed.headers as Record<string, string>;
  }
}

/** Query parameters for signing, keeping repeated keys (`tag=a&tag=b`). */
function queryMap(params: URLSearchParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const key of new Set(params.keys())) {
    const values = params.getAll(key);
    out[key] = values.length === 1 ? values[0]! : values;
  }
  return out;
}

function instancePath(service: string, instanceId: string): string {
  return `/v1/services/${encodeURIComponent(service)}/instances/${encodeURIComponent(instanceId)}`;
}
