/** The typed client's bulk calls (`registerMany`, `heartbeatMany`) against the local runtime, and their checks before sending. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RegistryApiError, RegistryClient, RegistryResponseError, RegistryValidationError } from '@service-registry/client';
import type { LocalRuntime } from '../../../local/runtime.js';
import { startTestRuntime } from '../../support.js';

let runtime: LocalRuntime;
let client: RegistryClient;

beforeAll(async () => {
  runtime = await startTestRuntime();
  client = new RegistryClient({ baseUrl: runtime.url });
});
afterAll(async () => {
  await runtime.stop();
});

const item = (instanceId: string, address = '10.0.0.5') => ({ instanceId, address, port: 8080, leaseSeconds: 30 });

describe('RegistryClient.registerMany', () => {
  it('resolves with one typed result per item, refused ones included', async () => {
    const { results } = await client.registerMany('orders', [item('c-1'), item('c-2', '169.254.169.254')]);
    expect(results).toEqual([
      { instanceId: 'c-1', status: 201, instance: expect.objectContaining({ instanceId: 'c-1', address: '10.0.0.5', weight: 100 }) },
      {
        instanceId: 'c-2',
        status: 400,
        error: expect.objectContaining({ code: 'VALIDATION_FAILED', details: [expect.objectContaining({ field: 'body.instances.1.address' })] }),
      },
    ]);
    // The union narrows on status: a success carries the record, a refusal the error.
    const [created] = results;
    if (created?.status !== 201) throw new Error('c-1 was not created');
    expect((await client.get('orders', created.instanceId)).revision).toBe(created.instance.revision);
  });

  it('throws RegistryValidationError before sending for a bad service, a bad or repeated id, or no or too many items', async () => {
    // Nothing listens here: had anything been sent, the error would be RegistryUnavailableError.
    const offline = new RegistryClient({ baseUrl: 'http://127.0.0.1:9', timeoutMs: 500 });
    await expect(offline.registerMany('Orders', [item('a')])).rejects.toMatchObject({ name: 'RegistryValidationError', field: 'service' });
    await expect(offline.registerMany('orders', [item('a b')])).rejects.toMatchObject({ name: 'RegistryValidationError', field: 'instanceId' });
    await expect(offline.registerMany('orders', [item('a'), item('a')])).rejects.toThrow('given more than once');
    await expect(offline.registerMany('orders', [])).rejects.toThrow(RegistryValidationError);
    await expect(
      offline.registerMany(
        'orders',
        Array.from({ length: 101 }, (_, i) => item(`i-${i}`)),
      ),
    ).rejects.toThrow('1 to 100');
    await expect(offline.heartbeatMany('orders', [process.env.UNSET_HOSTNAME!])).rejects.toMatchObject({ field: 'instanceId' });
  });

  it("answers an item's own problems (an unknown field, a missing port) as results, not errors", async () => {
    const bad = client.registerMany('orders', [{ ...item('x'), extra: true } as never, { instanceId: 'y' } as never]);
    await expect(bad).resolves.toMatchObject({
      results: [
        { instanceId: 'x', status: 400, error: { details: [{ field: 'body.instances.0.extra' }] } },
        { instanceId: 'y', status: 400 },
      ],
    });
  });
});

describe('RegistryClient.heartbeatMany', () => {
  it('renews the leases it can and answers 404 for the ones to register again', async () => {
    await client.registerMany('orders', [item('h-1'), item('h-2')]);
    const { results } = await client.heartbeatMany('orders', ['h-1', 'gone', 'h-2']);
    expect(results.map((r) => [r.instanceId, r.status])).toEqual([
      ['h-1', 200],
      ['gone', 404],
      ['h-2', 200],
    ]);
    const [renewed] = results;
    if (renewed?.status !== 200) throw new Error('h-1 was not renewed');
    expect(Date.parse(renewed.leaseExpiresAt)).toBeGreaterThan(Date.now());
  });
});

describe('answers that break the contract', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url?.endsWith('/heartbeats')) {
        res.writeHead(403, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ error: { code: 'FORBIDDEN', message: "may not write service 'orders'" } }));
      }
      res.writeHead(207, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ service: 'orders', results: [{ instanceId: 'a', status: 201 }] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('rejects a result without its instance as RegistryResponseError', async () => {
    await expect(new RegistryClient({ baseUrl: base }).registerMany('orders', [item('a')])).rejects.toThrow(RegistryResponseError);
  });

  it('raises a whole-request refusal as RegistryApiError with its status and code', async () => {
    await expect(new RegistryClient({ baseUrl: base }).heartbeatMany('orders', ['a'])).rejects.toMatchObject({
      constructor: RegistryApiError,
      status: 403,
      code: 'FORBIDDEN',
    });
  });
});
