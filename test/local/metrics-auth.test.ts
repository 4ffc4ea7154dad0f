/**
 * `/metrics` names every service, so with an auth file only a token that may read `*` (or an admin) gets it; the
 * open (loopback) runtime serves it to anyone.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalRuntime } from '../../local/runtime.js';
import { startTestRuntime } from '../support.js';

const ADMIN = 'admin-token-0123456789';
const READ_ALL = 'read-all-token-0123456789';
const ORDERS = 'orders-reader-token-0123456789';

describe('GET /metrics with an auth file', () => {
  let secured: LocalRuntime;
  let dir: string;
  const get = (token?: string, method = 'GET') => fetch(`${secured.url}/metrics`, { method, ...(token && { headers: { authorization: `Bearer ${token}` } }) });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'metrics-auth-'));
    const authFile = join(dir, 'auth.json');
    writeFileSync(
      authFile,
      JSON.stringify({
        tokens: {
          [ADMIN]: { principal: 'root', services: [], admin: true },
          [READ_ALL]: { principal: 'prometheus', services: [], read: ['*'] },
          [ORDERS]: { principal: 'orders-operator', services: [], read: ['orders'] },
        },
      }),
    );
    secured = await startTestRuntime({ authFile, prober: false });
  });
  afterAll(async () => {
    await secured?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers 401 without a token', async () => {
    const res = await get();
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('UNAUTHENTICATED');
  });

  it('answers 403 naming the principal to a token that reads only some services', async () => {
    const res = await get(ORDERS);
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain("principal 'orders-operator' may not read metrics");
  });

  it('serves the metrics to a token that reads every service and to an admin', async () => {
    for (const token of [READ_ALL, ADMIN]) {
      const res = await get(token);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/plain');
      expect(await res.text()).toContain('# TYPE registry_http_requests_total counter');
    }
  });

  it('answers 404 to another method', async () => {
    expect((await get(ADMIN, 'POST')).status).toBe(404);
  });
});

describe('GET /metrics in open mode', () => {
  it('serves the metrics without a token', async () => {
    const open = await startTestRuntime({ prober: false });
    try {
      const res = await fetch(`${open.url}/metrics`);
      expect(res.status).toBe(200);
    } finally {
      await open.stop();
    }
  });
});
