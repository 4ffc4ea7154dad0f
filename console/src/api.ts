/**
 * The console's calls to the registry's public API, with `fetch` only. A bearer token, when the operator gave
 * one, is kept in `sessionStorage` (gone when the tab closes, never sent to another origin: the page's CSP allows
 * `connect-src 'self'` only) and sent as `Authorization: Bearer`; in open local mode none is needed.
 */
import type { HistoryPage, InstanceRecord, ProtectionStatus, ServiceSummary } from '@service-registry/contracts';
import type { Snapshot } from './state.js';

const TOKEN_KEY = 'service-registry.token';

/** The token the operator entered in this tab, if any. */
export function storedToken(): string {
  return sessionStorage.getItem(TOKEN_KEY) ?? '';
}

/** Keeps the token for this tab (an empty one forgets it). */
export function storeToken(token: string): void {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

/** The `Authorization` header for the stored token, if any. */
export function authHeaders(): Record<string, string> {
  const token = storedToken();
  return token ? { authorization: `Bearer ${token}` } : {};
}

/** An answer that was not a success, with the API's error `code` and `message` (or what went wrong before one). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** An error as the page shows it: the API's `code: message`, or what went wrong before an answer. */
export const describeError = (error: unknown): string => (error instanceof ApiError ? `${error.code}: ${error.message}` : String(error));

/** A refused answer as an {@link ApiError}: the body's `{"error":{"code","message"}}` when it has one. */
export async function errorOf(res: Response): Promise<ApiError> {
  let body: { error?: { code?: unknown; message?: unknown } } | undefined;
  try {
    body = (await res.json()) as typeof body;
  } catch {
    body = undefined; // not JSON (a proxy's page): the status says what we know
  }
  const code = typeof body?.error?.code === 'string' ? body.error.code : `HTTP_${res.status}`;
  const message = typeof body?.error?.message === 'string' ? body.error.message : res.statusText || 'request failed';
  return new ApiError(res.status, code, message);
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      cache: 'no-store',
      headers: { accept: 'application/json', ...(body !== undefined && { 'content-type': 'application/json' }), ...authHeaders() },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
  } catch (error) {
    throw new ApiError(0, 'UNREACHABLE', `the registry did not answer (${(error as Error).message})`);
  }
  if (!res.ok) throw await errorOf(res);
  return (res.status === 204 ? undefined : await res.json()) as T;
}

const instancesPath = (service: string) => `/v1/services/${encodeURIComponent(service)}/instances`;
const instancePath = (service: string, id: string) => `${instancesPath(service)}/${encodeURIComponent(id)}`;

/** Every service the caller may read, with total and healthy counts (all pages). */
export async function listServices(): Promise<ServiceSummary[]> {
  const all: ServiceSummary[] = [];
  let cursor: string | undefined;
  do {
    const page = await call<{ services: ServiceSummary[]; cursor?: string }>(
      'GET',
      `/v1/services?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    all.push(...page.services);
    cursor = page.cursor;
  } while (cursor);
  return all;
}

/** A service's instances, every status and health (all pages), and the guard's state if engaged. */
export async function discoverAll(service: string): Promise<Snapshot> {
  const instances: InstanceRecord[] = [];
  let protection: ProtectionStatus | undefined;
  let cursor: string | undefined;
  do {
    const page = await call<{ instances: InstanceRecord[]; cursor?: string; protection?: ProtectionStatus }>(
      'GET',
      `${instancesPath(service)}?status=all&limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    instances.push(...page.instances);
    protection ??= page.protection;
    cursor = page.cursor;
  } while (cursor);
  return { instances, ...(protection && { protection }) };
}

/** Drains (`DRAINING`) or puts back (`UP`) an instance. */
export function setStatus(service: string, id: string, status: 'UP' | 'DRAINING'): Promise<InstanceRecord> {
  return call('PATCH', instancePath(service, id), { status });
}

export function deregister(service: string, id: string): Promise<void> {
  return call('DELETE', instancePath(service, id));
}

/**
 * One page of a service's change history, newest first (`GET /v1/services/{service}/history`): an instance's when
 * `instanceId` is given, the whole service's otherwise; `cursor` is the previous page's.
 */
export function history(service: string, query: { instanceId?: string; limit: number; cursor?: string }): Promise<HistoryPage> {
  const params = new URLSearchParams({ limit: String(query.limit) });
  if (query.instanceId) params.set('instanceId', query.instanceId);
  if (query.cursor) params.set('cursor', query.cursor);
  return call('GET', `/v1/services/${encodeURIComponent(service)}/history?${params}`);
}
