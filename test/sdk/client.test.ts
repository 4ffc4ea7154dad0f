/** The typed client's request signing and error mapping, against a local server that records what it gets. */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RegistryClient } from '../../sdk/client.js';
import { RegistryApiError, RegistryUnavailableError } from '../../sdk/errors.js';

let server: Server;
let base: string;
const seen: Array<{ method?: string; url?: string; headers: IncomingHttpHeaders }> = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push({ method: req.method, url: req.url, headers: req.headers });
    if (req.url?.startsWith('/v1/services/orders/instances/missing')) {
      res.writeHead(404, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ error: { code: 'INSTANCE_NOT_FOUND', message: 'gone' } }));
    }
    res.writeHead(200, { 'content-type': 'application/json', etag: 'W/"x"' });
    res.end(JSON.stringify({ service: 'orders', instances: [] }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

describe('RegistryClient', () => {
  it('signs requests with SigV4 for execute-api using the default credential chain', async () => {
    process.env.AWS_ACCESS_KEY_ID = 'AKIDEXAMPLE';
    process.env.AWS_SECRET_ACCESS_KEY = 'secret';
    const client = new RegistryClient({ baseUrl: base, sigv4: { region: 'eu-west-1' } });
    await client.discover('orders', { tags: ['a', 'b'] });
    const { headers } = seen.at(-1)!;
    expect(headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=[^,]*host[^,]*, Signature=[0-9a-f]{64}$/);
    expect(headers['x-amz-date']).toMatch(/^\d{8}T\d{6}Z$/);
  });

  it('sends a bearer token to the local runtime', async () => {
    await new RegistryClient({ baseUrl: base, token: 'local-token-0123456789' }).discover('orders');
    expect(seen.at(-1)!.headers.authorization).toBe('Bearer local-token-0123456789');
  });

  it('raises the API error code as a typed error, and unreachable registries as RegistryUnavailableError', async () => {
    const client = new RegistryClient({ baseUrl: base });
    await expect(client.get('orders', 'missing')).rejects.toMatchObject({ name: 'RegistryApiError', status: 404, code: 'INSTANCE_NOT_FOUND' });
    await expect(client.get('orders', 'missing')).rejects.toBeInstanceOf(RegistryApiError);
    await expect(new RegistryClient({ baseUrl: 'http://127.0.0.1:9', timeoutMs: 500 }).get('orders', 'x')).rejects.toBeInstanceOf(RegistryUnavailableError);
  });
});
