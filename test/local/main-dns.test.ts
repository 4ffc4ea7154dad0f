/** `npm start` (local/main.ts) runs the DNS server from its environment, prints its port and stops it on SIGTERM. */
import { execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { apiClient, sleep } from '../support.js';

const root = join(import.meta.dirname, '..', '..');
const run = promisify(execFile);

function start(extraEnv: Record<string, string>) {
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0', ...extraEnv };
  delete env.TEST_DYNAMODB_ENDPOINT;
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/main.ts'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, stdout: () => stdout, stderr: () => stderr };
}

it('answers DNS on the port it prints, for the configured domain, and stops with the runtime', async () => {
  const registry = start({ REGISTRY_DNS_DOMAIN: 'sd.example', REGISTRY_DNS_TTL_SECONDS: '7' });
  try {
    const deadline = Date.now() + 60_000;
    let url: string | undefined;
    let port: number | undefined;
    while (!(url && port)) {
      url = /listening on (http:\/\/\S+)/.exec(registry.stdout())?.[1];
      port = Number(/DNS on 127\.0\.0\.1 port (\d+)/.exec(registry.stdout())?.[1]) || undefined;
      if (registry.child.exitCode !== null || Date.now() > deadline) throw new Error(`did not start:\n${registry.stdout()}\n${registry.stderr()}`);
      await sleep(50);
    }
    // PORT=0 and no REGISTRY_DNS_PORT: a free port, not 8600, so runtimes started on free ports never contend.
    expect(port).not.toBe(8600);
    expect((await apiClient(url).register('orders', 'o1', { address: '10.4.0.1', port: 80 })).status).toBe(201);
    const { stdout } = await run('dig', ['@127.0.0.1', '-p', String(port), '+noall', '+answer', 'orders.sd.example', 'A']);
    expect(stdout.trim().split(/\s+/)).toEqual(['orders.sd.example.', '7', 'IN', 'A', '10.4.0.1']);
  } finally {
    registry.child.kill('SIGTERM');
    expect(await registry.exited).toBe(0);
  }
}, 90_000);

it.each([
  ['REGISTRY_DNS_PORT', 'eighty'],
  ['REGISTRY_DNS_TTL_SECONDS', '-1'],
  ['REGISTRY_DNS_DOMAIN', 'not a domain'],
])(
  'refuses to start when %s is %s, naming the variable',
  async (name, value) => {
    const registry = start({ [name]: value });
    expect(await registry.exited).toBe(1);
    expect(registry.stderr()).toContain(name);
  },
  30_000,
);
