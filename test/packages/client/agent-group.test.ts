/** The group agent (`registerInstances`) against a scripted client, with fake timers: one bulk request per beat. */
import { jest } from '@jest/globals';
import { registerInstances, RegistryApiError, type RegistryClient, RegistryUnavailableError } from '@service-registry/client';

type Call = [string, ...unknown[]];
type Item = { instanceId: string; leaseSeconds?: number };

/**
 * A client whose bulk calls succeed unless told otherwise: `registerAnswer(id)` and `beatAnswer(id)` give an item's
 * status (default 201 / 200); `down` makes the next calls throw RegistryUnavailableError.
 */
function scriptedClient(script: { registerAnswer?: (id: string) => number; beatAnswer?: (id: string) => number; down?: () => boolean } = {}) {
  const calls: Call[] = [];
  const fail = (instanceId: string, status: number) => ({ instanceId, status, error: { code: `E${status}`, message: `status ${status}` } });
  const client = {
    registerMany: async (service: string, items: Item[]) => {
      calls.push(['registerMany', service, items.map((i) => i.instanceId)]);
      if (script.down?.()) throw new RegistryUnavailableError('down');
      return {
        results: items.map(({ instanceId, leaseSeconds }) => {
          const status = script.registerAnswer?.(instanceId) ?? 201;
          return status < 300
            ? { instanceId, status, instance: { service, instanceId, revision: 1, ...(leaseSeconds !== undefined && { leaseSeconds }) } }
            : fail(instanceId, status);
        }),
      };
    },
    heartbeatMany: async (service: string, ids: string[]) => {
      calls.push(['heartbeatMany', service, ids]);
      if (script.down?.()) throw new RegistryUnavailableError('down');
      return {
        results: ids.map((instanceId) => {
          const status = script.beatAnswer?.(instanceId) ?? 200;
          return status === 200 ? { instanceId, status, leaseExpiresAt: new Date().toISOString(), revision: 1 } : fail(instanceId, status);
        }),
      };
    },
    patch: async (...args: unknown[]) => void calls.push(['patch', ...args]),
    deregister: async (...args: unknown[]) => void calls.push(['deregister', ...args]),
  } as unknown as RegistryClient;
  return { client, calls, names: () => calls.map((c) => c[0]) };
}

const instances = (leases: (number | undefined)[]) =>
  leases.map((leaseSeconds, i) => ({
    instanceId: `i-${i}`,
    registration: { address: '10.0.0.1', port: 8080 + i, ...(leaseSeconds !== undefined && { leaseSeconds }) },
  }));
const base = { service: 's', handleSignals: false, onError: () => undefined, random: () => 0.5 };

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

describe('registerInstances', () => {
  it('registers every instance in one request and renews the leased ones in one request at a third of the shortest lease', async () => {
    const t = scriptedClient();
    const group = await registerInstances({ ...base, client: t.client, instances: instances([30, 60, undefined]) });
    expect(t.calls).toEqual([['registerMany', 's', ['i-0', 'i-1', 'i-2']]]);
    expect(group.instances.map((i) => i.instanceId)).toEqual(['i-0', 'i-1', 'i-2']);
    // random 0.5 → 1.0 × 30 s / 3 = 10 s; the probe-driven i-2 sends no heartbeat
    await jest.advanceTimersByTimeAsync(9_999);
    expect(t.names()).toEqual(['registerMany']);
    await jest.advanceTimersByTimeAsync(1);
    expect(t.calls[1]).toEqual(['heartbeatMany', 's', ['i-0', 'i-1']]);
    await group.shutdown({ drain: false });
  });

  it('registers again, in one request, only the instances whose heartbeat answered 404', async () => {
    let lost = true;
    const t = scriptedClient({ beatAnswer: (id) => (id === 'i-1' && lost ? ((lost = false), 404) : 200) });
    const group = await registerInstances({ ...base, client: t.client, instances: instances([30, 30, 30]) });
    await jest.advanceTimersByTimeAsync(10_000);
    expect(t.calls.slice(1)).toEqual([
      ['heartbeatMany', 's', ['i-0', 'i-1', 'i-2']],
      ['registerMany', 's', ['i-1']],
    ]);
    await jest.advanceTimersByTimeAsync(10_000);
    expect(t.names()).toEqual(['registerMany', 'heartbeatMany', 'registerMany', 'heartbeatMany']);
    await group.shutdown({ drain: false });
  });

  it('retries the first registration while the registry is unreachable, and items it could not write', async () => {
    let down = 2;
    let unwritten = true;
    const t = scriptedClient({ down: () => down-- > 0, registerAnswer: (id) => (id === 'i-1' && unwritten ? ((unwritten = false), 500) : 201) });
    const started = registerInstances({ ...base, client: t.client, instances: instances([30, 30]) });
    await jest.advanceTimersByTimeAsync(60_000);
    const group = await started;
    expect(t.calls.filter((c) => c[0] === 'registerMany').map((c) => c[2])).toEqual([['i-0', 'i-1'], ['i-0', 'i-1'], ['i-0', 'i-1'], ['i-1']]);
    expect(group.instances.map((i) => i.instanceId)).toEqual(['i-0', 'i-1']);
    await group.shutdown({ drain: false });
  });

  it('fails the first registration at once on a refusal retrying cannot change, naming the instance', async () => {
    const t = scriptedClient({ registerAnswer: (id) => (id === 'i-1' ? 403 : 201) });
    const failed = registerInstances({ ...base, client: t.client, instances: instances([30, 30]) });
    await expect(failed).rejects.toThrow(RegistryApiError);
    await expect(failed).rejects.toMatchObject({ status: 403, message: expect.stringContaining('i-1') });
    expect(t.names()).toEqual(['registerMany']);
  });

  it('drains and deregisters every instance on shutdown, and stops heartbeats', async () => {
    const t = scriptedClient();
    const group = await registerInstances({ ...base, client: t.client, instances: instances([30, 30]), drainSeconds: 1 });
    const done = group.shutdown();
    await jest.advanceTimersByTimeAsync(1_000);
    await done;
    expect(t.calls.slice(1)).toEqual([
      ['patch', 's', 'i-0', { status: 'DRAINING' }],
      ['patch', 's', 'i-1', { status: 'DRAINING' }],
      ['deregister', 's', 'i-0'],
      ['deregister', 's', 'i-1'],
    ]);
    await jest.advanceTimersByTimeAsync(60_000);
    expect(t.names()).not.toContain('heartbeatMany');
  });
});
