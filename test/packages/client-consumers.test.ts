/**
 * `@service-registry/client` used as a new user uses it: the packed tarballs of contracts and client installed into
 * two fresh services outside the repository — an ES module one and a CommonJS one, each with a strict tsconfig
 * (`strict`, `exactOptionalPropertyTypes`, `skipLibCheck: false`, NodeNext) — imported by package name only,
 * type-checked and compiled with `tsc`, and run with plain `node` (no tsx, no bundler) against a local runtime:
 * register → discover → a cache and a balancer pick → deregister.
 *
 * The ESM service installs neither optional peer, so it also proves the bearer/explicit-credentials path needs no
 * AWS credential chain, and that SigV4 with the default chain and `SqsFeed` say what to install. The CommonJS one
 * installs both peers: the default chain signs, and `SqsFeed` loads `@aws-sdk/client-sqs` and validates messages.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { LocalRuntime } from '../../local/runtime.js';
import { startTestRuntime } from '../support.js';
import { createProject, npmInstall, repoRoot, run, tarball, type Ran } from './support.js';

/** The exact versions the root installed, so the consumers' installs come from the npm cache. */
const rootVersion = (name: string): string =>
  (JSON.parse(readFileSync(join(repoRoot, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;

const tsconfig = JSON.stringify({
  compilerOptions: {
    target: 'ES2022',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    lib: ['ES2023'],
    types: ['node'],
    strict: true,
    exactOptionalPropertyTypes: true,
    noUncheckedIndexedAccess: true,
    skipLibCheck: false,
    rootDir: 'src',
    outDir: 'dist',
  },
  include: ['src'],
});

/** The flow both services run; `prelude` and `extra` add what differs. Prints one JSON line. */
const flow = (id: string) => `
  const registry = new RegistryClient({ baseUrl });
  const registered = await registry.register('orders', '${id}', { address: '10.0.0.1', port: 8080, zone: 'eu-west-1a', leaseSeconds: 30 });
  const page = await registry.discover('orders');
  const balancer = createBalancer<InstanceRecord>({ strategy: 'round-robin', zone: 'eu-west-1a' });
  const cache = new ServiceCache({ client: registry, service: 'orders', onChange: (list) => balancer.update(list) });
  await cache.start();
  const picked = balancer.pick();
  cache.stop();
  await registry.deregister('orders', '${id}');
  const after = await registry.discover('orders', { status: 'all' });
  const flow = {
    created: registered.created,
    discovered: page.notModified ? null : page.instances.map((i) => i.instanceId),
    picked: picked?.instanceId,
    after: after.notModified ? null : after.instances.map((i) => i.instanceId),
  };`;

const esmMain = `import { createBalancer, RegistryClient, RegistryDependencyError, ServiceCache, SqsFeed, type InstanceRecord } from '@service-registry/client';
import { DETAIL_TYPES } from '@service-registry/contracts';

const [baseUrl, echoUrl] = process.argv.slice(2) as [string, string];
${flow('esm-1')}

// Neither optional peer is installed: SigV4 with given credentials needs none of them; the default chain and SqsFeed
// fail with an error that names the package to install.
await new RegistryClient({ baseUrl: echoUrl, sigv4: { region: 'eu-west-1', credentials: { accessKeyId: 'AKIDGIVEN', secretAccessKey: 'secret' } } }).discover('orders');
const chain = await new RegistryClient({ baseUrl: echoUrl, sigv4: { region: 'eu-west-1' } }).discover('orders').then(() => undefined, (error: unknown) => error);
const feedErrors: Error[] = [];
const feed = new SqsFeed({ queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/q', onError: (e) => feedErrors.push(e) });
feed.start({ onEvent: () => undefined, onGap: () => undefined });
await feed.stop();
const named = (e: unknown) => (e instanceof RegistryDependencyError ? e.dependency : String(e));
console.log(JSON.stringify({ ...flow, chain: named(chain), feed: feedErrors.map(named), detailTypes: DETAIL_TYPES.length }));
`;

const cjsMain = `import { SQSClient } from '@aws-sdk/client-sqs';
import { createBalancer, RegistryClient, ServiceCache, SqsFeed, type InstanceRecord, type RegistryEvent, type SqsClientLike } from '@service-registry/client';

/** A real SQSClient fits the feed's structural client type (tsc checks this line). */
export const real: SqsClientLike = new SQSClient({ region: 'eu-west-1' });

async function main(): Promise<void> {
  const [baseUrl, echoUrl] = process.argv.slice(2) as [string, string];
  ${flow('cjs-1')}

  // The default credential chain (installed here) signs with what the environment holds.
  await new RegistryClient({ baseUrl: echoUrl, sigv4: { region: 'eu-west-1' } }).discover('orders');

  // SqsFeed loads @aws-sdk/client-sqs for its commands and validates each message; the queue is a stub here.
  const time = new Date().toISOString();
  const event: RegistryEvent = {
    id: 'e1',
    'detail-type': 'Instance Registered',
    time,
    detail: { schemaVersion: '1.0', eventId: 'orders/cjs-2/1', service: 'orders', instanceId: 'cjs-2', revision: 1, instance: null, changed: [], reason: 'registered', time },
  };
  const sent: string[] = [];
  const queue: SqsClientLike = {
    send: async (command) => {
      sent.push(command.constructor.name);
      if (sent.length === 1) return { Messages: [{ Body: JSON.stringify(event), ReceiptHandle: 'rh-1' }, { Body: '{"id":"x"}', ReceiptHandle: 'rh-2' }] };
      return new Promise((resolve) => setTimeout(() => resolve({ Messages: [] }), 20));
    },
  };
  const applied: string[] = [];
  const feedErrors: string[] = [];
  const feed = new SqsFeed({ queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/q', client: queue, onError: (e) => feedErrors.push(e.name) });
  await new Promise<void>((resolve) => feed.start({ onEvent: (e) => { applied.push(e.id); resolve(); }, onGap: () => undefined }));
  await feed.stop();
  console.log(JSON.stringify({ ...flow, applied, sent: sent.slice(0, 2), feedErrors }));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
`;

interface Consumer {
  dir: string;
  remove(): Promise<void>;
  install: Ran;
  typecheck: Ran;
}

/** Creates, installs and compiles one consumer; never throws, so the tests report what failed. */
async function prepare(name: string, packageJson: object, main: string, extra: string[]): Promise<Consumer> {
  const project = await createProject(name, { 'package.json': JSON.stringify(packageJson, null, 2), 'tsconfig.json': tsconfig, 'src/main.ts': main });
  const install = await npmInstall(project.dir, [
    tarball('@service-registry/contracts'),
    tarball('@service-registry/client'),
    `typescript@${rootVersion('typescript')}`,
    `@types/node@${rootVersion('@types/node')}`,
    ...extra,
  ]);
  const typecheck =
    install.code === 0
      ? await run(join(project.dir, 'node_modules', '.bin', 'tsc'), ['-p', '.'], { cwd: project.dir })
      : { code: null, stdout: '', stderr: 'not installed' };
  return { ...project, install, typecheck };
}

let runtime: LocalRuntime;
let echo: Server;
let echoUrl: string;
/** Authorization headers the echo server received, in order. */
const authorizations: Array<string | undefined> = [];
let esm: Consumer;
let cjs: Consumer;

beforeAll(async () => {
  // A stand-in for API Gateway that records signatures and answers an empty discovery.
  echo = createServer((req, res) => {
    authorizations.push(req.headers.authorization);
    res.writeHead(200, { 'content-type': 'application/json', etag: 'W/"0"' }).end(JSON.stringify({ service: 'orders', instances: [] }));
  });
  await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
  echoUrl = `http://127.0.0.1:${(echo.address() as AddressInfo).port}`;
  [runtime, esm, cjs] = await Promise.all([
    startTestRuntime({ prober: false }),
    prepare('esm-service', { name: 'esm-service', private: true, type: 'module' }, esmMain, []),
    prepare('cjs-service', { name: 'cjs-service', private: true }, cjsMain, [
      `@aws-sdk/client-sqs@${rootVersion('@aws-sdk/client-sqs')}`,
      `@aws-sdk/credential-provider-node@${rootVersion('@aws-sdk/credential-provider-node')}`,
    ]),
  ]);
}, 240_000);

afterAll(async () => {
  await Promise.all([runtime?.stop(), esm?.remove(), cjs?.remove(), new Promise((resolve) => echo?.close(resolve))]);
});

/** Runs the compiled service with plain node. */
const start = (consumer: Consumer, env: NodeJS.ProcessEnv = {}) =>
  run(process.execPath, [join(consumer.dir, 'dist', 'main.js'), runtime.url, echoUrl], { cwd: consumer.dir, env, timeoutMs: 60_000 });

describe('an ES module service', () => {
  it('installs the tarballs and type-checks strictly, importing by package name only', () => {
    expect({ code: esm.install.code, stderr: esm.install.code === 0 ? '' : esm.install.stderr }).toEqual({ code: 0, stderr: '' });
    expect({ code: esm.typecheck.code, output: esm.typecheck.stdout + esm.typecheck.stderr }).toEqual({ code: 0, output: '' });
  });

  it('registers, discovers, picks through a cache and a balancer, and deregisters with plain node', async () => {
    const before = authorizations.length;
    const result = await start(esm);
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(result.stdout)).toEqual({
      created: true,
      discovered: ['esm-1'],
      picked: 'esm-1',
      after: [],
      // Without the optional peers: the default chain and SqsFeed name what to install.
      chain: '@aws-sdk/credential-provider-node',
      feed: ['@aws-sdk/client-sqs'],
      detailTypes: 8,
    });
    // Signed with the given credentials; the default chain failed before sending anything.
    expect(authorizations.slice(before)).toEqual([
      expect.stringMatching(/^AWS4-HMAC-SHA256 Credential=AKIDGIVEN\/\d{8}\/eu-west-1\/execute-api\/aws4_request/),
    ]);
  }, 60_000);
});

describe('a CommonJS service', () => {
  it('installs the tarballs with both optional peers and type-checks strictly', () => {
    expect({ code: cjs.install.code, stderr: cjs.install.code === 0 ? '' : cjs.install.stderr }).toEqual({ code: 0, stderr: '' });
    expect({ code: cjs.typecheck.code, output: cjs.typecheck.stdout + cjs.typecheck.stderr }).toEqual({ code: 0, output: '' });
    expect(readFileSync(join(cjs.dir, 'dist', 'main.js'), 'utf8')).toContain('require("@service-registry/client")');
  });

  it('runs the same flow, signs with the default credential chain, and feeds events from SQS', async () => {
    const before = authorizations.length;
    const result = await start(cjs, { AWS_ACCESS_KEY_ID: 'AKIDFROMCHAIN', AWS_SECRET_ACCESS_KEY: 'secret', AWS_SESSION_TOKEN: '', AWS_PROFILE: '' });
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(result.stdout)).toEqual({
      created: true,
      discovered: ['cjs-1'],
      picked: 'cjs-1',
      after: [],
      applied: ['e1'],
      sent: ['ReceiveMessageCommand', 'DeleteMessageBatchCommand'],
      feedErrors: ['RegistryResponseError'], // the message without a valid envelope
    });
    expect(authorizations.slice(before)).toEqual([expect.stringMatching(/^AWS4-HMAC-SHA256 Credential=AKIDFROMCHAIN\//)]);
  }, 60_000);
});

describe('the service-registry CLI of the installed tarball', () => {
  const ROOT = 'root-token-0123456789a';
  let secured: LocalRuntime;
  const cli = (args: string[]) =>
    run(join(esm.dir, 'node_modules', '.bin', 'service-registry'), args, {
      cwd: esm.dir,
      env: { REGISTRY_URL: secured.url, REGISTRY_TOKEN: ROOT },
      timeoutMs: 60_000,
    });

  beforeAll(async () => {
    const file = join(esm.dir, 'auth.json'); // removed with the project
    writeFileSync(file, JSON.stringify({ tokens: { [ROOT]: { principal: 'root', services: [], admin: true } } }));
    secured = await startTestRuntime({ prober: false, authFile: file });
  }, 60_000);
  afterAll(async () => {
    await secured?.stop();
  });

  it('runs --help with plain node from node_modules/.bin', async () => {
    const ran = await cli(['--help']);
    expect({ code: ran.code, stderr: ran.stderr }).toEqual({ code: 0, stderr: '' });
    expect(ran.stdout).toMatch(/^Usage: service-registry /);
    expect(ran.stdout).toContain('tokens');
  }, 60_000);

  it('ships the built console: `console --help` runs, and the server it starts serves the page from the package', async () => {
    const help = await cli(['console', '--help']);
    expect({ code: help.code, stderr: help.stderr }).toEqual({ code: 0, stderr: '' });
    expect(help.stdout).toMatch(/^Usage: service-registry console /);
    const packaged = join(esm.dir, 'node_modules', '@service-registry', 'client', 'console');
    expect(['index.html', 'app.js', 'app.css'].map((f) => readFileSync(join(packaged, f)).length > 0)).toEqual([true, true, true]);
    // Started from node_modules/.bin, it finds those files (not this repository's build).
    const server = spawn(join(esm.dir, 'node_modules', '.bin', 'service-registry'), ['console', '--json'], {
      cwd: esm.dir,
      env: { ...process.env, REGISTRY_URL: secured.url, REGISTRY_TOKEN: ROOT },
    });
    const exited = new Promise((resolve) => server.once('close', resolve));
    try {
      const first = await new Promise<string>((resolve, reject) => {
        server.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString()));
        server.once('error', reject);
      });
      const page = await fetch(JSON.parse(first).url as string);
      expect(page.status).toBe(200);
      expect(await page.text()).toBe(readFileSync(join(packaged, 'index.html'), 'utf8'));
    } finally {
      server.kill('SIGINT');
      await exited;
    }
  }, 60_000);

  it('creates a token against a local runtime, and the secret it prints once works', async () => {
    const ran = await cli(['tokens', 'create', '--principal', 'prometheus', '--read', '*']);
    expect({ code: ran.code, stderr: ran.stderr }).toEqual({ code: 0, stderr: '' });
    const secret = ran.stdout.trim().split('\n').at(-1)!;
    expect(secret).toMatch(/^srt_[0-9a-f]{16}_/);
    expect((await fetch(`${secured.url}/v1/services`, { headers: { authorization: `Bearer ${secret}` } })).status).toBe(200);
  }, 60_000);
});
