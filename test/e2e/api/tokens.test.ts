/**
 * Bearer tokens through the local runtime over HTTP: an admin token of the auth file creates table tokens, which
 * then work on every route and on the event feed, scoped like the auth file's; a leaked read-only token cannot
 * write; a revoked token stops at once; token items never become change events nor services.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalRuntime } from '../../../local/runtime.js';
import { apiClient, startTestRuntime, subscribe } from '../../support.js';

const ROOT = 'root-token-0123456789a';
const ALICE = 'alice-token-0123456789';

const authDirs: string[] = [];
function authFile(content: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'registry-auth-'));
  authDirs.push(dir);
  const file = join(dir, 'auth.json');
  writeFileSync(file, JSON.stringify(content));
  return file;
}

let runtime: LocalRuntime;
const as = (token?: string) => apiClient(runtime.url, token);
const create = (body: unknown, token = ROOT) => as(token).call('POST', '/v1/tokens', body);
const secretOf = async (body: object) => {
  const reply = await create(body);
  expect(reply.status).toBe(201);
  return reply.body.secret as string;
};
const instance = { address: '10.0.0.1', port: 80 };

beforeAll(async () => {
  runtime = await startTestRuntime({
    prober: false,
    authFile: authFile({
      tokens: {
        [ROOT]: { principal: 'root', services: [], admin: true },
        [ALICE]: { principal: 'alice', services: ['orders'], admin: false },
      },
    }),
  });
});
afterAll(async () => {
  await runtime.stop();
  for (const dir of authDirs) rmSync(dir, { recursive: true, force: true });
});

describe('token admin routes', () => {
  it('creates a token with 201, shows its secret once and lists it without secret or hash', async () => {
    // WHEN
    const created = await create({ principal: 'prometheus', read: ['orders'], expiresInSeconds: 86_400 });
    // THEN
    expect(created.status).toBe(201);
    expect(created.headers.get('cache-control')).toBe('no-store');
    expect(created.body).toEqual({
      tokenId: expect.stringMatching(/^[0-9a-f]{16}$/),
      secret: expect.stringMatching(new RegExp(`^srt_${created.body.tokenId}_[A-Za-z0-9_-]{43}$`)),
      principal: 'prometheus',
      services: [],
      read: ['orders'],
      admin: false,
      createdAt: expect.any(String),
      createdBy: 'root',
      expiresAt: expect.any(String),
    });
    const listed = await as(ROOT).call('GET', '/v1/tokens');
    expect(listed.status).toBe(200);
    const entry = listed.body.tokens.find((t: { tokenId: string }) => t.tokenId === created.body.tokenId);
    const { secret: _secret, ...withoutSecret } = created.body;
    expect(entry).toEqual(withoutSecret);
    expect(JSON.stringify(listed.body)).not.toContain(created.body.secret);
  });

  it('lets only admins manage tokens: 403 for a non-admin, 401 without a token', async () => {
    expect((await create({ principal: 'x' }, ALICE)).status).toBe(403);
    expect((await as(ALICE).call('GET', '/v1/tokens')).status).toBe(403);
    expect((await as(ALICE).call('DELETE', '/v1/tokens/0123456789abcdef')).status).toBe(403);
    expect((await create({ principal: 'x' }, '')).status).toBe(401);
  });

  it('lets an admin token created from the auth file create tokens in turn', async () => {
    const admin = await secretOf({ principal: 'ops', admin: true });
    expect((await create({ principal: 'second', read: ['*'] }, admin)).status).toBe(201);
  });

  it.each([
    ['a service that is not a name', { principal: 'p', services: ['Orders'] }, 'body.services.0'],
    ['an unknown field', { principal: 'p', scope: 'all' }, 'body.scope'],
    ['no principal', { services: ['orders'] }, 'body.principal'],
    ['an expiry under a minute', { principal: 'p', expiresInSeconds: 5 }, 'body.expiresInSeconds'],
  ])('answers 400 naming the field for %s, and creates nothing', async (_name, body, field) => {
    const before = (await as(ROOT).call('GET', '/v1/tokens')).body.tokens.length;
    const reply = await create(body);
    expect(reply.status).toBe(400);
    expect(reply.body.error.details.map((d: { field: string }) => d.field)).toContain(field);
    expect((await as(ROOT).call('GET', '/v1/tokens')).body.tokens).toHaveLength(before);
  });

  it('answers 400 naming path.tokenId for a malformed id, and 404 for an unknown one', async () => {
    const malformed = await as(ROOT).call('DELETE', '/v1/tokens/not-an-id');
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.details[0].field).toBe('path.tokenId');
    const unknown = await as(ROOT).call('DELETE', '/v1/tokens/0123456789abcdef');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('TOKEN_NOT_FOUND');
  });
});

describe('table tokens on the routes', () => {
  it('a leaked read-only token reads what it may and cannot write (403)', async () => {
    // GIVEN an instance of orders and a read-only token for orders
    expect((await as(ALICE).register('orders', 'ro-1', instance)).status).toBe(201);
    const leaked = as(await secretOf({ principal: 'prometheus', read: ['orders'] }));
    // THEN it discovers and gets orders
    expect((await leaked.discover('orders')).status).toBe(200);
    expect((await leaked.get('orders', 'ro-1')).status).toBe(200);
    // and every write is refused, changing nothing
    for (const reply of [
      await leaked.register('orders', 'ro-2', instance),
      await leaked.register('orders', 'ro-1', instance),
      await leaked.patch('orders', 'ro-1', { status: 'DRAINING' }),
      await leaked.heartbeat('orders', 'ro-1'),
      await leaked.deregister('orders', 'ro-1'),
      await leaked.call('POST', '/v1/tokens', { principal: 'escalate', admin: true }),
    ]) {
      expect(reply.status).toBe(403);
    }
    expect((await as(ALICE).get('orders', 'ro-1')).body.status).toBe('UP');
    expect((await as(ALICE).get('orders', 'ro-2')).status).toBe(404);
    // nor may it read another service
    expect((await leaked.discover('payments')).status).toBe(403);
  });

  it('a write token registers as its principal: owner checks apply to it like to any caller', async () => {
    const agent = as(await secretOf({ principal: 'orders-agent', services: ['orders'] }));
    expect((await agent.register('orders', 'agent-1', instance)).status).toBe(201);
    expect((await agent.heartbeat('orders', 'agent-1')).status).toBe(200);
    // alice may write orders but does not own agent-1
    expect((await as(ALICE).deregister('orders', 'agent-1')).status).toBe(403);
    expect((await agent.deregister('orders', 'agent-1')).status).toBe(204);
  });

  it('a revoked token stops working at once (401), on routes and on the event feed', async () => {
    const created = await create({ principal: 'gateway', read: ['orders'] });
    const token = created.body.secret as string;
    const feed = await subscribe(runtime.url, 'service=orders', { authorization: `Bearer ${token}` });
    feed.close();
    expect((await as(token).discover('orders')).status).toBe(200);
    // WHEN
    expect((await as(ROOT).call('DELETE', `/v1/tokens/${created.body.tokenId}`)).status).toBe(204);
    // THEN
    const reply = await as(token).discover('orders');
    expect(reply.status).toBe(401);
    expect(reply.headers.get('www-authenticate')).toBe('Bearer');
    await expect(subscribe(runtime.url, 'service=orders', { authorization: `Bearer ${token}` })).rejects.toMatchObject({ status: 401 });
    expect((await as(ROOT).call('DELETE', `/v1/tokens/${created.body.tokenId}`)).status).toBe(404);
  });

  it('refuses a well-formed token that was never created (401)', async () => {
    expect((await as(`srt_0123456789abcdef_${'A'.repeat(43)}`).discover('orders')).status).toBe(401);
  });

  it('publishes no change event for token writes, and never lists tokens as services', async () => {
    // GIVEN a subscriber to every event
    const feed = await subscribe(runtime.url, '', { authorization: `Bearer ${ROOT}` });
    try {
      // WHEN tokens are created and revoked, then an instance registered
      const created = await create({ principal: 'quiet', read: ['*'] });
      await secretOf({ principal: 'quiet-too', services: ['orders'] });
      expect((await as(ROOT).call('DELETE', `/v1/tokens/${created.body.tokenId}`)).status).toBe(204);
      expect((await as(ALICE).register('orders', 'after-tokens', instance)).status).toBe(201);
      // THEN the first event the feed gets is the instance's
      const first = await feed.next(() => true);
      expect(first.data.detail).toMatchObject({ service: 'orders', instanceId: 'after-tokens' });
    } finally {
      feed.close();
    }
    const services = await as(ROOT).services();
    expect(services.body.services.map((s: { service: string }) => s.service)).toEqual(['orders']);
  });
});

describe('open mode', () => {
  it('refuses to create tokens with 403 saying to set REGISTRY_AUTH_FILE', async () => {
    const open = await startTestRuntime({ prober: false });
    try {
      const reply = await apiClient(open.url).call('POST', '/v1/tokens', { principal: 'x', read: ['*'] });
      expect(reply.status).toBe(403);
      expect(reply.body.error.message).toMatch(/REGISTRY_AUTH_FILE/);
    } finally {
      await open.stop();
    }
  });
});
