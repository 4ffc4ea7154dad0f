/** Authentication (bearer tokens locally) and ownership, through the local runtime over HTTP. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalRuntime, type LocalRuntime } from '../../../local/runtime.js';
import { apiClient, sleep, startTestRuntime, subscribe } from '../../support.js';

const tokens = {
  'alice-token-0123456789': { principal: 'alice', services: ['orders'], admin: false },
  'bob-token-0123456789ab': { principal: 'bob', services: ['orders'], admin: false },
  'carol-token-0123456789': { principal: 'carol', services: ['payments'], admin: false },
  'root-token-0123456789a': { principal: 'root', services: [], admin: true },
  'any-token-0123456789ab': { principal: 'platform', services: ['*'], admin: false },
  'gw-token-0123456789abcd': { principal: 'gateway', services: [], read: ['orders', 'shipping'], admin: false },
  'reader-token-012345678': { principal: 'auditor', services: [], read: ['*'], admin: false },
};

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
const alice = () => as('alice-token-0123456789');
const bob = () => as('bob-token-0123456789ab');
const carol = () => as('carol-token-0123456789');
const root = () => as('root-token-0123456789a');
const gateway = () => as('gw-token-0123456789abcd');
const auditor = () => as('reader-token-012345678');
const body = { address: '10.0.0.1', port: 80 };

beforeAll(async () => {
  runtime = await startTestRuntime({ authFile: authFile({ tokens }) });
});
afterAll(async () => {
  await runtime.stop();
  for (const dir of authDirs) rmSync(dir, { recursive: true, force: true });
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
    expect((await alice().register('orders', 'owned', { ...body, leaseSeconds: 600 })).status).toBe(201);
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

  it('lets a caller read the services it may write, and no other (its read scope defaults to its write scope)', async () => {
    expect((await bob().get('orders', 'owned')).status).toBe(200);
    const refused = await carol().get('orders', 'owned');
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toContain("may not read service 'orders'");
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
    expect((await alice().register('orders', 'lapsing', { ...body, leaseSeconds: 2 })).status).toBe(201);
    await sleep(2100);
    const reply = await bob().register('orders', 'lapsing', body);
    expect(reply.status).toBe(201);
    expect((await alice().patch('orders', 'lapsing', { weight: 1 })).status).toBe(403);
  });
});

describe('every write route as the owner, a stranger and an admin', () => {
  const id = 'matrix';
  const stored = async () => (await root().get('orders', id)).body;

  it('lets the owner register, replace, patch, heartbeat and delete', async () => {
    expect((await alice().register('orders', id, body)).status).toBe(201);
    expect((await alice().register('orders', id, { ...body, port: 81 })).status).toBe(200);
    expect((await alice().patch('orders', id, { weight: 7 })).status).toBe(200);
    expect((await alice().heartbeat('orders', id)).status).toBe(200);
    expect((await alice().deregister('orders', id)).status).toBe(204);
    expect((await alice().deregister('orders', id)).status).toBe(404);
  });

  it('refuses a stranger allowed to write the service every write to the instance with 403, and changes nothing', async () => {
    await alice().register('orders', id, body);
    const before = await stored();
    for (const reply of [
      await bob().register('orders', id, { ...body, port: 82 }),
      await bob().patch('orders', id, { weight: 1 }),
      await bob().heartbeat('orders', id),
      await bob().deregister('orders', id),
    ]) {
      expect(reply.status).toBe(403);
      expect(reply.body.error.code).toBe('FORBIDDEN');
    }
    expect(await stored()).toEqual(before);
  });

  it("lets an admin register, replace, patch, heartbeat and delete, its own instances and anyone's", async () => {
    // Before the fix every admin registration was a 500 (an unused ExpressionAttributeNames entry).
    const created = await root().register('orders', 'admins-own', body);
    expect(created.status).toBe(201);
    expect((await root().register('orders', 'admins-own', { ...body, port: 83 })).status).toBe(200);
    expect((await root().register('payments', 'anywhere', body)).status).toBe(201); // no write scope needed

    await alice().register('orders', id, body);
    const replaced = await root().register('orders', id, { ...body, port: 84 }); // alice's, live
    expect(replaced.status).toBe(200);
    expect(replaced.body.revision).toBeGreaterThan(0);
    expect((await root().patch('orders', id, { weight: 9 })).status).toBe(200);
    expect((await root().heartbeat('orders', id)).status).toBe(200);
    expect(await stored()).toMatchObject({ port: 84, weight: 9 });
    expect((await root().deregister('orders', id)).status).toBe(204);
    expect((await root().get('orders', id)).status).toBe(404);
  });

  it('answers an admin 404 for every write but registration to an instance that is not there', async () => {
    for (const reply of [
      await root().patch('orders', 'never-there', { weight: 1 }),
      await root().heartbeat('orders', 'never-there'),
      await root().deregister('orders', 'never-there'),
    ]) {
      expect(reply.status).toBe(404);
    }
  });
});

describe('read scope', () => {
  beforeAll(async () => {
    await alice().register('orders', 'scoped', body);
    await carol().register('payments', 'scoped', body);
    await as('any-token-0123456789ab').register('anything', 'scoped', body);
  });

  it('answers discovery and get-instance of a service outside the read scope with 403 naming the service', async () => {
    for (const reply of [await gateway().discover('payments'), await gateway().get('payments', 'scoped'), await alice().discover('payments')]) {
      expect(reply.status).toBe(403);
      expect(reply.body.error).toMatchObject({ code: 'FORBIDDEN', message: expect.stringContaining("may not read service 'payments'") });
    }
  });

  it('lets a read-only token discover and get the services it may read, and write none', async () => {
    expect((await gateway().discover('orders')).body.instances.map((i: { instanceId: string }) => i.instanceId)).toContain('scoped');
    expect((await gateway().get('orders', 'scoped')).status).toBe(200);
    expect((await gateway().register('orders', 'gw', body)).status).toBe(403);
  });

  it('lists only the services the caller may read, and every service for * and for an admin', async () => {
    const listed = async (client: ReturnType<typeof as>) => {
      const names: string[] = [];
      let cursor: string | undefined;
      do {
        const reply = await client.services(`limit=1${cursor ? `&cursor=${cursor}` : ''}`);
        expect(reply.status).toBe(200);
        names.push(...reply.body.services.map((s: { service: string }) => s.service));
        cursor = reply.body.cursor;
      } while (cursor);
      return names;
    };
    expect(await listed(gateway())).toEqual(['orders']); // shipping has no instances, so is not listed
    expect(await listed(carol())).toEqual(['payments']);
    expect(await listed(auditor())).toEqual(expect.arrayContaining(['orders', 'payments', 'anything']));
    expect(await listed(root())).toEqual(await listed(auditor()));
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
