/** The typed client's request signing and error mapping, against a local server that records what it gets. */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Sha256 } from '@aws-crypto/sha256-js';
import { getCanonicalQuery, SignatureV4 } from '@smithy/signature-v4';
import { RegistryApiError, RegistryClient, RegistryResponseError, RegistryUnavailableError, RegistryValidationError } from '@service-registry/client';

let server: Server;
let base: string;
/** What the server answers: an instance record for an instance path, the list for discovery. Tests may replace them. */
const answers = {
  instance: (instanceId: string): object => ({ ...record, instanceId }),
  list: { service: 'orders', instances: [] } as object,
};
const record = {
  service: 'orders',
  instanceId: 'orders-1',
  address: '10.0.0.5',
  port: 8080,
  protocol: 'http',
  weight: 100,
  tags: [],
  metadata: {},
  status: 'UP',
  health: 'passing',
  leaseSeconds: 30,
  leaseExpiresAt: '2025-01-01T00:00:30.000Z',
  registeredAt: '2025-01-01T00:00:00.000Z',
  updatedAt: '2025-01-01T00:00:00.000Z',
  revision: 1735689600000000,
};
const seen: Array<{ method?: string; url?: string; headers: IncomingHttpHeaders }> = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push({ method: req.method, url: req.url, headers: req.headers });
    if (req.url?.startsWith('/v1/services/orders/instances/missing')) {
      res.writeHead(404, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ error: { code: 'INSTANCE_NOT_FOUND', message: 'gone' } }));
    }
    if (req.url?.startsWith('/v1/services/orders/instances/html')) {
      res.writeHead(req.url.endsWith('502') ? 502 : 200, { 'content-type': 'text/html' });
      return res.end('<html>a proxy answered</html>');
    }
    res.writeHead(200, { 'content-type': 'application/json', etag: 'W/"x"' });
    const [, id] = /^\/v1\/services\/orders\/instances\/([^/?]+)/.exec(req.url ?? '') ?? [];
    res.end(JSON.stringify(id ? answers.instance(decodeURIComponent(id)) : answers.list));
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
    expect(headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=[^,]*host[^,]*, Signature=[0-9a-f]{64}$/,
    );
    expect(headers['x-amz-date']).toMatch(/^\d{8}T\d{6}Z$/);
  });

  it('sends exactly the canonical query it signed, so values with spaces and reserved characters verify', async () => {
    // Prepare
    process.env.AWS_ACCESS_KEY_ID = 'AKIDEXAMPLE';
    process.env.AWS_SECRET_ACCESS_KEY = 'secret';
    delete process.env.AWS_SESSION_TOKEN;
    const client = new RegistryClient({ baseUrl: base, sigv4: { region: 'eu-west-1' } });
    const query = { status: 'all', zone: 'eu west 1a', tags: ['b c', 'a+b', "x~y*(!)'", 'ü'], meta: { 'team name': 'blue & green=1' }, limit: 10 } as const;

    // Act
    await client.discover('orders', query);

    // Assess: the raw request line, as API Gateway receives it.
    const { method, url, headers } = seen.at(-1)!;
    const [path, raw = ''] = url!.split('?');
    // How AWS reads a query to verify a signature: split on & and =, percent-decode (a '+' stays a '+'), then
    // canonicalise (https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html#create-canonical-request).
    const received: Record<string, string[]> = {};
    for (const pair of raw.split('&')) {
      const [name, value = ''] = pair.split('=').map(decodeURIComponent) as [string, string?];
      (received[name] ??= []).push(value);
    }
    expect(raw).toBe(getCanonicalQuery({ query: received } as never));
    // Every value arrives as given (in canonical order: 'ü' is %C3%BC, which sorts first).
    expect(received).toEqual({
      status: ['all'],
      zone: ['eu west 1a'],
      tag: ['ü', 'a+b', 'b c', "x~y*(!)'"],
      'meta.team name': ['blue & green=1'],
      limit: ['10'],
    });
    // The signature verifies over what was received: sign it again with the same key and time.
    const signed = /SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(headers.authorization!)!;
    const amzDate = headers['x-amz-date'] as string;
    const signingDate = new Date(amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'));
    const verifier = new SignatureV4({
      service: 'execute-api',
      region: 'eu-west-1',
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
      sha256: Sha256,
    });
    const again = await verifier.sign(
      {
        method: method!,
        protocol: 'http:',
        hostname: '127.0.0.1',
        path: path!,
        query: received,
        headers: Object.fromEntries(signed[1]!.split(';').map((name) => [name, headers[name] as string])),
      },
      { signingDate },
    );
    expect(again.headers.authorization).toBe(headers.authorization);
  });

  it('refuses service names and instance ids outside the registry grammar before sending anything', async () => {
    const client = new RegistryClient({ baseUrl: base });
    const before = seen.length;
    const hostname: string = process.env.SURELY_UNSET_HOSTNAME_VARIABLE!; // the README's old `process.env.HOSTNAME!`

    await expect(client.register('orders', hostname, { address: '10.0.0.1', port: 80 })).rejects.toThrow(
      new RegistryValidationError('instanceId', 'invalid instanceId: got undefined, expected a string (is the environment variable it comes from set?)'),
    );
    await expect(client.heartbeat('orders', 'a/b')).rejects.toMatchObject({
      name: 'RegistryValidationError',
      field: 'instanceId',
      message: expect.stringContaining('1-128 characters of A-Z a-z 0-9 . _ : -'),
    });
    await expect(client.discover('Orders')).rejects.toMatchObject({
      field: 'service',
      message: expect.stringContaining('"Orders": must be a lower-case DNS label'),
    });
    await expect(client.deregister('orders', 'x'.repeat(129))).rejects.toBeInstanceOf(RegistryValidationError);
    expect(seen.length).toBe(before); // nothing reached the server
    await client.get('orders', 'orders-7f9c:8080'); // the grammar's own characters pass
    expect(seen.at(-1)!.url).toBe('/v1/services/orders/instances/orders-7f9c%3A8080');
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

  it('signs with the credentials it is given, without the default credential chain', async () => {
    // Prepare: the environment holds other keys, so a signature by AKIDGIVEN proves the chain was not asked.
    process.env.AWS_ACCESS_KEY_ID = 'AKIDFROMENVIRONMENT';
    process.env.AWS_SECRET_ACCESS_KEY = 'secret';
    const provider = async () => ({ accessKeyId: 'AKIDGIVEN', secretAccessKey: 'given-secret', sessionToken: 'session' });

    // Act
    await new RegistryClient({ baseUrl: base, sigv4: { region: 'eu-west-1', credentials: provider } }).discover('orders');
    const fromProvider = seen.at(-1)!.headers;
    await new RegistryClient({ baseUrl: base, sigv4: { region: 'eu-west-1', credentials: { accessKeyId: 'AKIDSTATIC', secretAccessKey: 's' } } }).discover(
      'orders',
    );
    const fromStatic = seen.at(-1)!.headers;

    // Assess
    expect(fromProvider.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDGIVEN\//);
    expect(fromProvider['x-amz-security-token']).toBe('session');
    expect(fromStatic.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDSTATIC\//);
  });

  it('validates answers against the contract instead of trusting them', async () => {
    const client = new RegistryClient({ baseUrl: base });
    answers.list = { service: 'orders', instances: [{ ...record, port: '8080' }] };
    try {
      await expect(client.discover('orders')).rejects.toMatchObject({
        name: 'RegistryResponseError',
        what: 'GET /v1/services/orders/instances (200)',
        issues: [{ path: 'instances.0.port', message: expect.stringContaining('number') }],
      });
    } finally {
      answers.list = { service: 'orders', instances: [] };
    }
    await expect(client.get('orders', 'html')).rejects.toBeInstanceOf(RegistryResponseError); // a 200 that is not JSON
    await expect(client.get('orders', 'html-502')).rejects.toBeInstanceOf(RegistryUnavailableError); // a gateway's error page
    expect(await client.get('orders', 'orders-2')).toMatchObject({ instanceId: 'orders-2', health: 'passing', revision: record.revision });
  });
});
