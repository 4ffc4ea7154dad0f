/** Helpers shared by the integration and black-box tests. */
import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { NO_TELEMETRY } from '../lambdas/domain/telemetry.js';
import { loadConfig } from '../lambdas/wiring/config.js';
import { createDependencies, type Dependencies } from '../lambdas/wiring/dependencies.js';
import { createPlatform } from '../lambdas/wiring/platform.js';
import { startLocalRuntime, type LocalRuntime, type LocalRuntimeOptions } from '../local/runtime.js';
import { readSse } from '../packages/client/src/sse.js';

/**
 * A local runtime on a free port, backed by the run's shared DynamoDB Local and a table of its own. The change-history
 * writer (the stream's second consumer) is off unless a test asks for it (`history: true`, as every test that reads
 * history does): it triples the writes every change costs, and on the one DynamoDB Local the whole run shares that
 * made the suite ~40 % slower for tests that never read it. `npm start` and the spawned-runtime tests keep it on.
 */
export async function startTestRuntime(options: LocalRuntimeOptions = {}): Promise<LocalRuntime> {
  const endpoint = process.env.TEST_DYNAMODB_ENDPOINT;
  if (!endpoint) throw new Error('TEST_DYNAMODB_ENDPOINT is not set: run the tests with `npm test`');
  return startLocalRuntime({ port: 0, dynamoEndpoint: endpoint, tableName: `t-${randomUUID()}`, history: false, ...options });
}

/**
 * The functions' dependencies over a runtime's table and DynamoDB client, for tests that drive a factory of
 * `lambdas/functions/` directly (with extra configuration in `env`, read by the same loader as in AWS).
 */
export function runtimeDependencies(runtime: LocalRuntime, env: NodeJS.ProcessEnv = {}): Dependencies {
  const config = loadConfig({ TABLE_NAME: runtime.tableName, REGISTRY_ALLOW_LOOPBACK: 'true', ...env });
  return createDependencies(
    createPlatform(config, { logger: new Logger({ serviceName: 'service-registry', logLevel: 'WARN' }), telemetry: NO_TELEMETRY, dynamodb: runtime.dynamodb }),
  );
}

export interface Reply<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

/** A small JSON client for the registry's HTTP API. */
export function apiClient(baseUrl: string, token?: string) {
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> => {
    const res = await fetch(baseUrl + path, {
      method,
      headers: {
        ...(body !== undefined && { 'content-type': 'application/json' }),
        ...(token && { authorization: `Bearer ${token}` }),
        ...headers,
      },
      ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
  };
  return {
    call,
    register: (service: string, id: string, body: unknown) => call('PUT', `/v1/services/${service}/instances/${id}`, body),
    get: (service: string, id: string) => call('GET', `/v1/services/${service}/instances/${id}`),
    patch: (service: string, id: string, body: unknown) => call('PATCH', `/v1/services/${service}/instances/${id}`, body),
    heartbeat: (service: string, id: string) => call('POST', `/v1/services/${service}/instances/${id}/heartbeat`),
    deregister: (service: string, id: string) => call('DELETE', `/v1/services/${service}/instances/${id}`),
    discover: (service: string, query = '', headers: Record<string, string> = {}) =>
      call('GET', `/v1/services/${service}/instances${query ? `?${query}` : ''}`, undefined, headers),
    services: (query = '') => call('GET', `/v1/services${query ? `?${query}` : ''}`),
  };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Reads until `done` holds of what was read, or `timeoutMs` pass; returns the last read either way, for the test to
 * assert on (a timeout then fails the assertion with what was seen). For eventually consistent reads, such as the
 * service counters the stream publisher derives (one stream poll behind the writes).
 *
 * @example
 * expect(await eventually(() => api.services(), (r) => r.body.services.length > 0)).toMatchObject({ status: 200 });
 */
export async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() >= deadline) return value;
    await sleep(20);
  }
}

/**
 * Waits until something new arrives (the producer calls every function in `waiters`) or `ms` pass, whichever is
 * first: the wait of the helpers that look for a line or an event before a deadline.
 */
export function wakeOrTimeout(waiters: Set<() => void>, ms: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const wake = () => {
      clearTimeout(timer);
      waiters.delete(wake);
      resolve();
    };
    const timer = setTimeout(wake, ms);
    waiters.add(wake);
  });
}

export interface SseMessage {
  id?: string;
  event?: string;
  data: any;
}

/**
 * Subscribes to the local runtime's `GET /v1/events` and collects messages. `next(predicate)` waits for the first
 * (not yet consumed) message that matches.
 */
export async function subscribe(baseUrl: string, query = '', headers: Record<string, string> = {}) {
  const controller = new AbortController();
  const res = await fetch(`${baseUrl}/v1/events${query ? `?${query}` : ''}`, { headers, signal: controller.signal });
  if (res.status !== 200) throw Object.assign(new Error(`subscribe failed: ${res.status}`), { status: res.status, body: await res.text() });
  const messages: SseMessage[] = [];
  const waiters = new Set<() => void>();
  void (async () => {
    try {
      for await (const message of readSse(res.body!)) {
        if (!message.data) continue;
        messages.push({ ...message, data: JSON.parse(message.data) });
        waiters.forEach((w) => w());
      }
    } catch {
      // aborted
    }
  })();
  let consumed = 0;
  return {
    messages,
    async next(predicate: (m: SseMessage) => boolean = () => true, timeoutMs = 5000): Promise<SseMessage> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        for (let i = consumed; i < messages.length; i++) {
          if (predicate(messages[i]!)) {
            consumed = i + 1;
            return messages[i]!;
          }
        }
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no matching event within ${timeoutMs} ms; got ${messages.map((m) => m.event).join(', ')}`);
        await wakeOrTimeout(waiters, left);
      }
    },
    close: () => controller.abort(),
  };
}
