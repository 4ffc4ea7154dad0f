/**
 * The `service-registry` CLI's registry commands, spawned as a user runs them against a local runtime (open mode):
 * text and `--json` output, exit codes (2 usage, 3 not found, 4 unauthorised, 5 unreachable), bad input refused
 * before anything is sent, plain output without a terminal or with NO_COLOR, tables cut to the width, and `watch`
 * printing changes as they happen.
 */
import type { LocalRuntime } from '../../../../local/runtime.js';
import { apiClient, eventually, startTestRuntime } from '../../../support.js';
import { cli, spawnCli } from './support.js';

let runtime: LocalRuntime;
let api: ReturnType<typeof apiClient>;
// biome-ignore lint/suspicious/noControlCharactersInRegex: the escape byte is what an ANSI colour code starts with.
const ANSI = /\x1b\[/;

beforeAll(async () => {
  runtime = await startTestRuntime({ prober: false, history: true });
  api = apiClient(runtime.url);
});
afterAll(async () => {
  await runtime?.stop();
});

const sr = (args: string[], env: NodeJS.ProcessEnv = {}) => cli(args, { REGISTRY_URL: runtime.url, ...env });

/** `orders-1` (every option, leased) and `orders-2` (probe-driven, drained): what the listing and change tests start from. */
const ORDERS_1 = {
  address: '10.0.3.17',
  port: 8080,
  zone: 'eu-west-1a',
  weight: 50,
  tags: ['v2', 'canary'],
  metadata: { build: '42', team: 'blue=green' },
  leaseSeconds: 300,
};
const ORDERS_2 = { address: '10.0.3.18', port: 8080, healthCheck: { type: 'http', path: '/ready' }, status: 'DRAINING' };

describe('service-registry register, instances, get, drain, undrain, deregister', () => {
  // Each test on a runtime (a table) of its own holding the two fixtures: none depends on another's order or leftovers,
  // and `services` lists exactly what the test made.
  let own: LocalRuntime;
  let ownApi: ReturnType<typeof apiClient>;
  const run = (args: string[], env: NodeJS.ProcessEnv = {}) => cli(args, { REGISTRY_URL: own.url, ...env });
  beforeEach(async () => {
    own = await startTestRuntime({ prober: false });
    ownApi = apiClient(own.url);
    expect((await ownApi.register('orders', 'orders-1', ORDERS_1)).status).toBe(201);
    expect((await ownApi.register('orders', 'orders-2', ORDERS_2)).status).toBe(201);
    // The service counters follow from the stream (eventually consistent): `services` lists them once counted.
    await eventually(
      () => ownApi.services(),
      (r) => r.body.services?.some((s: any) => s.service === 'orders' && s.total === 2),
    );
  });
  afterEach(async () => {
    await own?.stop();
  });

  it('registers an instance with every option, and says whether it was created or replaced', async () => {
    const args = [
      'register',
      'orders',
      'orders-3',
      '--address',
      '10.0.3.17',
      '--port',
      '8080',
      '--zone',
      'eu-west-1a',
      '--weight',
      '50',
      '--tag',
      'v2',
      '--tag',
      'canary',
      '--meta',
      'build=42',
      '--meta',
      'team=blue=green',
    ];
    const ran = await run([...args, '--lease', '5m']);
    expect({ code: ran.code, stderr: ran.stderr }).toEqual({ code: 0, stderr: '' });
    expect(ran.stdout).toMatch(/^registered orders\/orders-3 at 10\.0\.3\.17:8080, UP, revision \d+\n$/);
    const stored = (await ownApi.get('orders', 'orders-3')).body;
    expect(stored).toMatchObject({
      zone: 'eu-west-1a',
      weight: 50,
      tags: ['v2', 'canary'],
      metadata: { build: '42', team: 'blue=green' },
      leaseSeconds: 300,
      status: 'UP',
    });

    const again = await run(['--json', ...args, '--lease', '300']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ created: false, instanceId: 'orders-3', leaseSeconds: 300 });
  });

  it('registers a probe-driven instance out of rotation with --http-check and --drained', async () => {
    const ran = await run(['register', 'orders', 'orders-4', '--address', '10.0.3.18', '--port', '8080', '--http-check', '/ready', '--drained']);
    expect(ran.code).toBe(0);
    expect((await ownApi.get('orders', 'orders-4')).body).toMatchObject({ status: 'DRAINING', healthCheck: { type: 'http', path: '/ready' } });
    expect((await ownApi.get('orders', 'orders-4')).body.leaseSeconds).toBeUndefined();
  });

  it('lists services and instances as tables without colour when stdout is not a terminal', async () => {
    const services = await run(['services']);
    expect(services.stdout).toBe('SERVICE  INSTANCES  HEALTHY\norders   2          1\n');
    const healthy = await run(['instances', 'orders']);
    expect(healthy.stdout.split('\n')[0]).toMatch(/^INSTANCE\s+ADDRESS\s+ZONE\s+WEIGHT\s+STATUS\s+HEALTH\s+LEASE\s+TAGS\s+METADATA$/);
    expect(healthy.stdout).toMatch(/\norders-1\s+10\.0\.3\.17:8080\s+eu-west-1a\s+50\s+UP\s+passing\s+\d+s\s+v2,canary\s+build=42,team=blue=green\n$/);
    const all = await run(['instances', 'orders', '--all']);
    expect(all.stdout).toMatch(/\norders-2\s+10\.0\.3\.18:8080\s+-\s+100\s+DRAINING\s+unknown\s+probe\s+-\s+-\n/);
    expect(services.stdout + healthy.stdout + all.stdout).not.toMatch(ANSI);
  });

  it('filters instances by zone, tag and metadata', async () => {
    const ids = async (args: string[]) =>
      (JSON.parse((await run(['--json', 'instances', 'orders', '--all', ...args])).stdout) as { instances: Array<{ instanceId: string }> }).instances.map(
        (i) => i.instanceId,
      );
    expect(await ids(['--zone', 'eu-west-1a'])).toEqual(['orders-1']);
    expect(await ids(['--tag', 'v2', '--tag', 'canary'])).toEqual(['orders-1']);
    expect(await ids(['--meta', 'build=42'])).toEqual(['orders-1']);
    expect(await ids(['--meta', 'build=43'])).toEqual([]);
  });

  it('prints one instance as fields, or as JSON', async () => {
    const text = await run(['get', 'orders', 'orders-1']);
    expect(text.stdout).toContain('instance:     orders/orders-1\naddress:      10.0.3.17:8080 (http)\nzone:         eu-west-1a\n');
    const json = await run(['get', 'orders', 'orders-1', '--json']);
    expect(JSON.parse(json.stdout)).toEqual((await ownApi.get('orders', 'orders-1')).body);
  });

  it('drains, undrains and deregisters', async () => {
    const drained = await run(['drain', 'orders', 'orders-1']);
    expect(drained.stdout).toMatch(/^orders\/orders-1 is DRAINING, revision \d+\n$/);
    expect((await ownApi.get('orders', 'orders-1')).body.status).toBe('DRAINING');
    const undrained = await run(['--json', 'undrain', 'orders', 'orders-1']);
    expect(JSON.parse(undrained.stdout)).toMatchObject({ instanceId: 'orders-1', status: 'UP' });
    const gone = await run(['deregister', 'orders', 'orders-2']);
    expect({ code: gone.code, stdout: gone.stdout }).toEqual({ code: 0, stdout: 'deregistered orders/orders-2\n' });
    expect((await ownApi.get('orders', 'orders-2')).status).toBe(404);
  });

  it('prints --json as one JSON document for every command', async () => {
    const services = JSON.parse((await run(['services', '--json'])).stdout);
    expect(services).toEqual([{ service: 'orders', total: 2, healthy: 1 }]);
    const instances = JSON.parse((await run(['instances', 'orders', '--json'])).stdout);
    expect(instances).toMatchObject({ service: 'orders', instances: [{ instanceId: 'orders-1' }] });
    const none = JSON.parse((await run(['--json', 'deregister', 'orders', 'nobody'], {})).stdout || 'null');
    expect(none).toBeNull(); // a failure prints nothing on stdout
  });
});

describe('service-registry history', () => {
  // A service of its own with four changes by the anonymous caller: registered, replaced, drained, undrained.
  beforeAll(async () => {
    expect((await api.register('ledger', 'ledger-1', ORDERS_1)).status).toBe(201);
    expect((await api.register('ledger', 'ledger-1', ORDERS_1)).status).toBe(200);
    expect((await api.patch('ledger', 'ledger-1', { status: 'DRAINING' })).status).toBe(200);
    expect((await api.patch('ledger', 'ledger-1', { status: 'UP' })).status).toBe(200);
  });

  /** The history is written by the stream's second consumer, a moment after each change: ask until it is there. */
  async function history(args: string[], until: (out: string) => boolean) {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const ran = await sr(['history', ...args]);
      if (until(ran.stdout) || Date.now() > deadline) return ran;
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
  }

  it("prints an instance's changes newest first, with who made them", async () => {
    const ran = await history(['ledger', 'ledger-1'], (out) => out.split('\n').filter((l) => l.includes('ledger-1')).length >= 4);
    expect({ code: ran.code, stderr: ran.stderr }).toEqual({ code: 0, stderr: '' });
    const lines = ran.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^TIME\s+CHANGE\s+INSTANCE\s+REVISION\s+WHAT\s+BY$/);
    // registered, replaced (the second register), drained, undrained: newest first
    expect(
      lines.slice(1).map((l) =>
        l
          .split(/\s{2,}/)
          .slice(1, 3)
          .concat(l.split(/\s{2,}/).at(-1)!),
      ),
    ).toEqual([
      ['updated', 'ledger-1', 'anonymous'],
      ['updated', 'ledger-1', 'anonymous'],
      ['updated', 'ledger-1', 'anonymous'],
      ['registered', 'ledger-1', 'anonymous'],
    ]);
    expect(lines[1]).toMatch(/patched status/);
  });

  it('prints JSON with --json, honours --limit and --since, and refuses a bad --since before sending anything', async () => {
    await history(['ledger', 'ledger-1'], (out) => out.split('\n').filter((l) => l.includes('ledger-1')).length >= 4);
    const json = JSON.parse((await sr(['history', 'ledger', '--json', '--limit', '2'])).stdout) as {
      service: string;
      entries: Array<{ detailType: string; principal: string }>;
    };
    expect(json.service).toBe('ledger');
    expect(json.entries).toHaveLength(2);
    expect(json.entries.map((e) => e.principal)).toEqual(['anonymous', 'anonymous']);
    const future = await sr(['history', 'ledger', '--since', '2999-01-01T00:00:00Z']);
    expect(future.stdout).toBe('no changes of ledger since 2999-01-01T00:00:00Z\n');
    const bad = await sr(['history', 'ledger', '--since', 'yesterday']);
    expect({ code: bad.code, stdout: bad.stdout }).toEqual({ code: 2, stdout: '' });
    expect(bad.stderr).toMatch(/^service-registry: --since 'yesterday': must be an ISO 8601 time .* or a duration back from now/);
  });
});

describe('colour and width', () => {
  beforeAll(async () => {
    expect([200, 201]).toContain((await api.register('orders', 'orders-1', ORDERS_1)).status);
  });

  it('colours with FORCE_COLOR, and NO_COLOR wins over it', async () => {
    expect((await sr(['instances', 'orders'], { FORCE_COLOR: '1' })).stdout).toMatch(ANSI);
    expect((await sr(['instances', 'orders'], { FORCE_COLOR: '1', NO_COLOR: '1' })).stdout).not.toMatch(ANSI);
  });

  it('cuts wide cells to COLUMNS, ending them with …', async () => {
    const ran = await sr(['instances', 'orders'], { COLUMNS: '80' });
    const lines = ran.stdout.trimEnd().split('\n');
    expect(lines.every((l) => l.length <= 80)).toBe(true);
    expect(ran.stdout).toContain('…');
    const wide = await sr(['instances', 'orders']);
    expect(wide.stdout).toContain('build=42,team=blue=green'); // a pipe gets whole values
  });
});

describe('errors', () => {
  it.each([
    ['a port out of range', ['--port', '70000'], /option '--port <port>' argument '70000' is invalid\. the port must be an integer from 1 to 65535/],
    ['a port that is not a number', ['--port', 'http'], /option '--port <port>' argument 'http' is invalid/],
    ['--meta without =', ['--port', '80', '--meta', 'build'], /option '--meta <key=value>' argument 'build' is invalid\. 'build' is not key=value/],
    ['an address that is no address', ['--port', '80', '--address', '10.2.0.256'], /^service-registry: --address: must be an IP address or a hostname/],
    ['a lease out of range', ['--port', '80', '--lease', '1'], /option '--lease <duration>' argument '1' is invalid\. a lease must be 2 s to 86400 s/],
    ['both checks', ['--port', '80', '--http-check', '/h', '--tcp-check'], /option '--http-check <path>' cannot be used with option '--tcp-check'/],
    ['a tag too long', ['--port', '80', '--tag', 'x'.repeat(129)], /^service-registry: --tag: /],
  ])('exits 2 for %s, naming the option, and registers nothing', async (_name, args, message) => {
    const ran = await sr(['register', 'orders', 'bad-1', '--address', '10.0.0.1', ...args]);
    expect({ code: ran.code, stdout: ran.stdout }).toEqual({ code: 2, stdout: '' });
    expect(ran.stderr).toMatch(message);
    expect(ran.stderr.trim().split('\n')).toHaveLength(1);
    expect((await api.get('orders', 'bad-1')).status).toBe(404);
  });

  it.each([
    ['2 for a service name the registry refuses', ['instances', 'Orders'], 2, /^service-registry: invalid service "Orders": must be a lower-case DNS label/],
    ['2 for a missing argument', ['get', 'orders'], 2, /missing required argument 'id'/],
    ['3 for an instance that is not there', ['get', 'orders', 'nobody'], 3, /^service-registry: 404 INSTANCE_NOT_FOUND: /],
    ['3 for draining an instance that is not there', ['drain', 'orders', 'nobody'], 3, /404 INSTANCE_NOT_FOUND/],
    ['5 for an unreachable registry', ['services', '--url', 'http://127.0.0.1:1'], 5, /^service-registry: registry unreachable at http:\/\/127\.0\.0\.1:1/],
    [
      '5 for watching an unreachable registry',
      ['watch', '--url', 'http://127.0.0.1:1'],
      5,
      /^service-registry: event feed unreachable at http:\/\/127\.0\.0\.1:1/,
    ],
    [
      '5 for watching an unreachable AWS registry (polled)',
      ['watch', '--url', 'http://127.0.0.1:1', '--region', 'eu-west-1'],
      5,
      /^service-registry: registry unreachable at http:\/\/127\.0\.0\.1:1/,
    ],
  ])('exits %s, with one line on stderr', async (_name, args, code, message) => {
    const ran = await sr(args, { AWS_ACCESS_KEY_ID: 'AKIDTEST', AWS_SECRET_ACCESS_KEY: 'secret' });
    expect({ code: ran.code, stdout: ran.stdout }).toEqual({ code, stdout: '' });
    expect(ran.stderr).toMatch(message);
    expect(ran.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('service-registry watch', () => {
  /** Registers probes until the watcher prints one: then its feed is connected (nothing before that is replayed). */
  async function connected(watch: ReturnType<typeof spawnCli>): Promise<void> {
    for (let n = 0; ; n++) {
      await api.register('payments', `probe-${n}`, { address: '10.0.5.9', port: 9090, leaseSeconds: 600 });
      try {
        await watch.line(new RegExp(`probe-${n}\\b`), 500);
        return;
      } catch (error) {
        if (n > 40) throw error;
      }
    }
  }

  it('prints a registration, a drain and a deregistration as they happen, and exits 0 on Ctrl-C', async () => {
    const watch = spawnCli(['watch', 'payments'], { REGISTRY_URL: runtime.url });
    try {
      await connected(watch);
      await api.register('payments', 'pay-1', { address: '10.0.5.4', port: 9090, leaseSeconds: 600 });
      const registered = await watch.line(/registered\s+payments\/pay-1/, 5000);
      expect(registered).toMatch(/^\d\d:\d\d:\d\d  registered {5}payments\/pay-1  rev \d+  10\.0\.5\.4:9090 UP passing$/);
      await api.patch('payments', 'pay-1', { status: 'DRAINING' });
      expect(await watch.line(/updated/, 5000)).toMatch(/updated\s+payments\/pay-1 .*DRAINING passing  \(status\)$/);
      await api.register('inventory', 'not-followed', { address: '10.0.0.7', port: 80 });
      await api.deregister('payments', 'pay-1');
      expect(await watch.line(/deregistered/, 5000)).toMatch(/deregistered\s+payments\/pay-1 .*gone \(deregistered\)$/);
      expect(watch.lines.join('\n')).not.toContain('not-followed');
      expect(watch.lines.join('\n')).not.toMatch(ANSI);
    } finally {
      expect(await watch.stop()).toBe(0);
    }
    expect(watch.stderr).toBe('');
  }, 30_000);

  it('prints one JSON object per line with --json: the event as delivered', async () => {
    const watch = spawnCli(['watch', '--json'], { REGISTRY_URL: runtime.url });
    try {
      await connected(watch);
      await api.register('payments', 'pay-2', { address: '10.0.5.5', port: 9090, leaseSeconds: 600 });
      const line = await watch.line(/pay-2/, 5000);
      expect(JSON.parse(line)).toMatchObject({
        'detail-type': 'Instance Registered',
        detail: { service: 'payments', instanceId: 'pay-2', reason: 'registered' },
      });
    } finally {
      expect(await watch.stop()).toBe(0);
    }
  }, 30_000);
});
