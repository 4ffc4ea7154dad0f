/** The registration agent against a scripted client, with fake timers. */
import { jest } from '@jest/globals';
import { registerInstance, RegistryApiError, type RegistryClient, RegistryUnavailableError, RegistryValidationError } from '@service-registry/client';

type Call = [string, ...unknown[]];

function scriptedClient(leaseSeconds: number | undefined, heartbeat: () => Promise<unknown> = async () => ({})) {
  const calls: Call[] = [];
  const record = (extra: object = {}) => ({ service: 's', instanceId: 'i', revision: 1, ...(leaseSeconds !== undefined && { leaseSeconds }), ...extra });
  const client = {
    register: async (...args: unknown[]) => (calls.push(['register', ...args]), { ...record(), created: true }),
    heartbeat: async (...args: unknown[]) => (calls.push(['heartbeat', ...args]), heartbeat()),
    patch: async (...args: unknown[]) => (calls.push(['patch', ...args]), record()),
    deregister: async (...args: unknown[]) => void calls.push(['deregister', ...args]),
  } as unknown as RegistryClient;
  return { client, calls, names: () => calls.map((c) => c[0]) };
}

const base = { service: 's', instanceId: 'i', registration: { address: '10.0.0.1', port: 80 }, handleSignals: false, onError: () => undefined };

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

describe('registerInstance', () => {
  it('heartbeats at about a third of the lease, with jitter', async () => {
    const t = scriptedClient(30);
    await registerInstance({ ...base, client: t.client, random: () => 0 });
    // random 0 → 0.8 × 10 s = 8 s.
    await jest.advanceTimersByTimeAsync(7_999);
    expect(t.names()).toEqual(['register']);
    await jest.advanceTimersByTimeAsync(1);
    expect(t.names()).toEqual(['register', 'heartbeat']);
    const late = scriptedClient(30);
    await registerInstance({ ...base, client: late.client, random: () => 1 });
    await jest.advanceTimersByTimeAsync(11_999); // random 1 → 1.2 × 10 s = 12 s
    expect(late.names()).toEqual(['register']);
  });

  it('registers again when a heartbeat answers 404', async () => {
    let first = true;
    const t = scriptedClient(30, async () => {
      if (first) {
        first = false;
        throw new RegistryApiError(404, 'INSTANCE_NOT_FOUND', 'gone');
      }
      return {};
    });
    await registerInstance({ ...base, client: t.client, random: () => 0.5 });
    await jest.advanceTimersByTimeAsync(10_000);
    expect(t.names()).toEqual(['register', 'heartbeat', 'register']);
    await jest.advanceTimersByTimeAsync(10_000);
    expect(t.names()).toEqual(['register', 'heartbeat', 'register', 'heartbeat']);
  });

  it('backs off on errors and never gives up', async () => {
    let failing = 5;
    const t = scriptedClient(30, async () => {
      if (failing-- > 0) throw new RegistryUnavailableError('down');
      return {};
    });
    await registerInstance({ ...base, client: t.client, random: () => 1 });
    await jest.advanceTimersByTimeAsync(12_000); // first heartbeat fails
    const afterFirst = t.names().length;
    await jest.advanceTimersByTimeAsync(60_000);
    const beats = t.names().filter((n) => n === 'heartbeat').length;
    expect(beats).toBeGreaterThanOrEqual(6); // five failures and a success, retried with growing delays
    expect(t.names().length).toBeGreaterThan(afterFirst);
  });

  it('refuses an unset instance id before sending anything', async () => {
    const t = scriptedClient(30);
    const hostname = process.env.SURELY_UNSET_HOSTNAME_VARIABLE!; // the README's old `process.env.HOSTNAME!`

    await expect(registerInstance({ ...base, client: t.client, instanceId: hostname })).rejects.toBeInstanceOf(RegistryValidationError);
    await expect(registerInstance({ ...base, client: t.client, service: 'Orders Service' })).rejects.toMatchObject({ field: 'service' });

    expect(t.names()).toEqual([]);
  });

  it('sends no heartbeats for a probe-driven instance', async () => {
    const t = scriptedClient(undefined);
    await registerInstance({ ...base, client: t.client, registration: { address: '10.0.0.1', port: 80, healthCheck: { type: 'tcp' } } });
    await jest.advanceTimersByTimeAsync(600_000);
    expect(t.names()).toEqual(['register']);
  });

  it('on SIGTERM marks the instance DRAINING, waits the drain time, deregisters, then lets the process exit', async () => {
    const t = scriptedClient(30);
    const exited = jest.fn();
    await registerInstance({ ...base, client: t.client, handleSignals: true, drainSeconds: 5, onShutdown: exited });
    process.emit('SIGTERM');
    await jest.advanceTimersByTimeAsync(0);
    expect(t.calls.at(-1)).toEqual(['patch', 's', 'i', { status: 'DRAINING' }]);
    await jest.advanceTimersByTimeAsync(4_999);
    expect(t.names()).not.toContain('deregister');
    await jest.advanceTimersByTimeAsync(1);
    expect(t.names().at(-1)).toBe('deregister');
    expect(exited).toHaveBeenCalledTimes(1);
    await jest.advanceTimersByTimeAsync(60_000);
    expect(t.names().filter((n) => n === 'heartbeat')).toHaveLength(0); // stopped heartbeating
  });
});
