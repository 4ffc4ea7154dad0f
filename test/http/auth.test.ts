/** Authentication (bearer tokens locally) and ownership, through the local runtime over HTTP. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalRuntime, type LocalRuntime } from '../../local/runtime.js';
import { apiClient, sleep, startTestRuntime, subscribe } from '../support.js';

const tokens = {
  'alice-token-0123456789': { principal: 'alice', services: ['orders'], admin: false },
  'bob-token-0123456789ab': { principal: 'bob', services: ['orders'], admin: false },
  'carol-token-0123456789': { principal: 'carol', services: ['payments'], admin: false },
  'root-token-0123456789a': { principal: 'root', services: [], admin: true },
  'any-token-0123456789ab': { principal: 'platform', services: ['*'], admin: false },
};

function authFile(content: unknown): string {
  const file = join(mkdtempSync(join(tmpdir(), 'registry-auth-')), 'auth.json');
  writeFileSync(file, JSON.stringify(content));
  return file;
}

let runtime: LocalRuntime;
const as = (token?: string) => apiClient(runtime.url, token);
const alice = () => as('alice-token-0123456789');
const bob = () => as('bob-token-0123456789ab');
const carol = () => as('carol-token-0123456789');
const root = () => as('root-token-0123456789a');
const body = { address: '10.0.0.1', port: 80 };

beforeAll(async () => {
  runtime = await startTestRuntime({ authFile: authFile({ tokens }) });
});
afterAll(async () => {
  await runtime.stop();
});

describe('authentication', () => {
  it('answers 401 with a Bearer challenge when the token is missing, on reads and writes alike', async () => {
    for (const reply of [await as().discover('orders'), await as().register('orders', 'x', body), await as().call('GET', '/v1/health')]) {
      expect(reply.status).toBe(401);
      expect(reply.body.error.code).toBe('UNAUTHENTICATED');
      expect(reply.headers.get('www-authenticate')).toBe('Bearer');
    }
  });

  it('requires a token for the event feed too', async () => {
    await expect(subscribe(runtime.url)).rejects.toMatchObject({ status: 401 });
    const feed = await subscribe(runtime.url, '', { authorization: 'Bearer alice-token-0123456789' });
    feed.close();
  });

  it('answers 401 for an unknown token and changes nothing', async () => {
    expect((await as('not-a-known-token-at-all').register('orders', 'x', body)).status).toBe(401);
    expect((await alice().get('orders', 'x')).status).toBe(404);
  });
});

describe('ownership', () => {
  beforeAll(async () => {
    expect((await alice().register('orders', 'owned', { ...body, leaseSeconds: 2 })).status).toBe(201);
  });

  it("refuses with 403 when another principal replaces, patches, heartbeats or deletes the owner's instance", async () => {
    for (const reply of [
      await bob().register('orders', 'owned', body),
      await bob().patch('orders', 'owned', { weight: 1 }),
      await bob().heartbeat('orders', 'owned'),
      await bob().deregister('orders', 'owned'),
    ]) {
      expect(reply.status).toBe(403);
      expect(reply.body.error.code).toBe('FORBIDDEN');
    }
    const still = await alice().get('orders', 'owned');
    expect(still.body).toMatchObject({ weight: 100, port: 80 });
  });

  it('lets any caller read', async () => {
    expect((await carol().get('orders', 'owned')).status).toBe(200);
  });

  it('refuses with 403 a write to a service the caller may not write', async () => {
    const reply = await carol().register('orders', 'carols', body);
    expect(reply.status).toBe(403);
    expect(reply.body.error.message).toContain("may not write service 'orders'");
    expect((await carol().register('payments', 'carols', body)).status).toBe(201);
    expect((await as('any-token-0123456789ab').register('anything', 'p', body)).status).toBe(201);
  });

  it('lets an admin change and delete any instance', async () => {
    await alice().register('orders', 'admin-target', body);
    expect((await root().patch('orders', 'admin-target', { weight: 9 })).status).toBe(200);
    expect((await root().deregister('orders', 'admin-target')).status).toBe(204);
  });

  it('lets another allowed principal take over an id whose lease has expired', async () => {
    await sleep(2100);
    const reply = await bob().register('orders', 'owned', body);
    expect(reply.status).toBe(201);
    expect((await alice().patch('orders', 'owned', { weight: 1 })).status).toBe(403);
  });
});

describe('starting the local runtime', () => {
  it('refuses to bind a non-loopback host without an auth file', async () => {
    await expect(startLocalRuntime({ host: '0.0.0.0', port: 0, dynamoEndpoint: 'http://127.0.0.1:1' })).rejects.toThrow(
      /refusing to bind 0\.0\.0\.0 without REGISTRY_AUTH_FILE/,
    );
  });

  it('refuses an auth file with a short token, naming the problem', async () => {
    const file = authFile({ tokens: { short: { principal: 'x', services: ['*'] } } });
    await expect(startLocalRuntime({ port: 0, authFile: file, dynamoEndpoint: 'http://127.0.0.1:1' })).rejects.toThrow(/at least 16 characters/);
  });
});
