/** The local event feed is scoped to what the caller may read, as discovery is (auth file `read` scopes). */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalRuntime } from '../../../local/runtime.js';
import { apiClient, sleep, startTestRuntime, subscribe } from '../../support.js';

const tokens = {
  'orders-reader-0123456789': { principal: 'gateway', services: [], read: ['orders'] },
  'platform-token-012345678': { principal: 'platform', services: ['*'] },
  'root-token-0123456789abc': { principal: 'root', services: [], admin: true },
};
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const reader = bearer('orders-reader-0123456789');

let runtime: LocalRuntime;
beforeAll(async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'registry-auth-')), 'auth.json');
  writeFileSync(file, JSON.stringify({ tokens }));
  runtime = await startTestRuntime({ authFile: file, prober: false });
});
afterAll(async () => {
  await runtime.stop();
});

describe('GET /v1/events read scope', () => {
  it('answers 403 naming the service when the caller asks for one it may not read', async () => {
    const refused = await fetch(`${runtime.url}/v1/events?service=orders&service=payments`, { headers: reader });
    expect(refused.status).toBe(403);
    const body = (await refused.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('FORBIDDEN');
    expect(body.error.message).toContain("'payments'");
    expect(body.error.message).not.toContain("'orders'");
  });

  it('gives a caller without service= only the services it may read, and an admin everything', async () => {
    const scoped = await subscribe(runtime.url, '', reader);
    const asked = await subscribe(runtime.url, 'service=orders', reader);
    const admin = await subscribe(runtime.url, '', bearer('root-token-0123456789abc'));
    const writer = apiClient(runtime.url, 'platform-token-012345678');
    await writer.register('payments', 'p-1', { address: '10.0.0.2', port: 80 });
    await writer.register('orders', 'o-1', { address: '10.0.0.1', port: 80 });
    expect((await scoped.next()).data.detail).toMatchObject({ service: 'orders', instanceId: 'o-1' });
    expect((await asked.next()).data.detail).toMatchObject({ service: 'orders', instanceId: 'o-1' });
    expect((await admin.next()).data.detail.service).toBe('payments');
    expect((await admin.next()).data.detail.service).toBe('orders');
    await sleep(200);
    expect(scoped.messages.map((m) => m.data.detail.service)).toEqual(['orders']);
    scoped.close();
    asked.close();
    admin.close();
  });

  it('replays from Last-Event-ID only what the caller may read', async () => {
    const admin = await subscribe(runtime.url, '', bearer('root-token-0123456789abc'));
    const writer = apiClient(runtime.url, 'platform-token-012345678');
    await writer.register('orders', 'o-2', { address: '10.0.0.1', port: 80 });
    const first = await admin.next((m) => m.data.detail.instanceId === 'o-2');
    await writer.register('payments', 'p-2', { address: '10.0.0.2', port: 80 });
    await writer.register('orders', 'o-3', { address: '10.0.0.1', port: 80 });
    await admin.next((m) => m.data.detail.instanceId === 'o-3');
    admin.close();
    const resumed = await subscribe(runtime.url, '', { ...reader, 'last-event-id': first.id! });
    expect((await resumed.next()).data.detail.instanceId).toBe('o-3');
    await sleep(100);
    expect(resumed.messages.map((m) => m.data.detail.instanceId)).toEqual(['o-3']);
    resumed.close();
  });
});
