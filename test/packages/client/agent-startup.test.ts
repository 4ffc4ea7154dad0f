/**
 * The agent's first registration against a real local runtime that is not up yet: retried with the agent's backoff
 * until the registry answers (a service may start before its registry), unless told to fail fast; a refusal is never
 * retried.
 */
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { LocalRuntime } from '../../../local/runtime.js';
import { registerInstance, RegistryApiError, RegistryClient, RegistryUnavailableError } from '@service-registry/client';
import { sleep, startTestRuntime } from '../../support.js';

/** A loopback port nothing listens on (yet). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const registration = { address: '10.0.0.7', port: 8080, leaseSeconds: 30 };

describe('registerInstance before the registry is up', () => {
  let runtime: LocalRuntime | undefined;
  afterEach(async () => {
    await runtime?.stop();
    runtime = undefined;
  });

  it('retries the first registration until a runtime started after the agent answers', async () => {
    // Prepare: the agent starts first, against a port where nothing listens.
    const port = await freePort();
    const client = new RegistryClient({ baseUrl: `http://127.0.0.1:${port}`, timeoutMs: 1000 });
    const errors: unknown[] = [];
    const agent = registerInstance({
      client,
      service: 'early',
      instanceId: 'early-1',
      registration,
      handleSignals: false,
      onError: (e) => errors.push(e),
      random: () => 0,
    });
    for (let i = 0; i < 100 && errors.length === 0; i++) await sleep(20);
    expect(errors[0]).toBeInstanceOf(RegistryUnavailableError);

    // Act: the registry comes up on that port.
    runtime = await startTestRuntime({ port, prober: false });
    const registered = await agent;

    // Assess
    expect(registered.instance).toMatchObject({ service: 'early', instanceId: 'early-1', leaseSeconds: 30 });
    expect(await client.get('early', 'early-1')).toMatchObject({ address: '10.0.0.7', status: 'UP' });
    expect(errors.every((e) => e instanceof RegistryUnavailableError)).toBe(true);
    await registered.shutdown({ drain: false });
    await expect(client.get('early', 'early-1')).rejects.toMatchObject({ status: 404 });
  });

  it('fails on the first error with failFast', async () => {
    const client = new RegistryClient({ baseUrl: `http://127.0.0.1:${await freePort()}`, timeoutMs: 1000 });
    const errors: unknown[] = [];

    await expect(
      registerInstance({ client, service: 'early', instanceId: 'early-2', registration, handleSignals: false, failFast: true, onError: (e) => errors.push(e) }),
    ).rejects.toBeInstanceOf(RegistryUnavailableError);
    expect(errors).toEqual([]);
  });

  it('does not retry an answer that retrying cannot change', async () => {
    runtime = await startTestRuntime({ prober: false });
    const client = new RegistryClient({ baseUrl: runtime.url });
    const errors: unknown[] = [];

    const refused = registerInstance({
      client,
      service: 'early',
      instanceId: 'early-3',
      registration: { ...registration, port: 0 },
      handleSignals: false,
      onError: (e) => errors.push(e),
    });

    await expect(refused).rejects.toBeInstanceOf(RegistryApiError);
    await expect(refused).rejects.toMatchObject({ status: 400 });
    expect(errors).toEqual([]);
  });
});
