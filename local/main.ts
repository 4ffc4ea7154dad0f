/**
 * `npm start`: runs the registry locally. Configuration from the environment (see README):
 * PORT (4000), HOST (127.0.0.1), REGISTRY_DATA_DIR (in memory when unset), REGISTRY_AUTH_FILE (open mode when unset).
 * Ctrl-C (or SIGTERM, SIGHUP, or the parent going away) stops it in order — the prober's schedule, the stream
 * poller, the server, then DynamoDB Local — and exits 0; a second Ctrl-C exits at once (DynamoDB Local's watchdog
 * ends it then).
 */
import { startLocalRuntime } from './runtime.js';

function port(value: string | undefined): number {
  if (value === undefined || value === '') return 4000;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`PORT must be an integer 0-65535, got '${value}'`);
  return n;
}

async function main(): Promise<void> {
  const runtime = await startLocalRuntime({
    host: process.env.HOST || '127.0.0.1',
    port: port(process.env.PORT),
    ...(process.env.REGISTRY_DATA_DIR && { dataDir: process.env.REGISTRY_DATA_DIR }),
    ...(process.env.REGISTRY_AUTH_FILE && { authFile: process.env.REGISTRY_AUTH_FILE }),
    onRequest: ({ method, path, status, ms }) => console.log(`${method} ${path} ${status} ${ms.toFixed(1)}ms`),
  });
  console.log(`service registry listening on ${runtime.url}`);
  console.log(`DynamoDB Local at ${runtime.dynamoEndpoint} (table ${runtime.tableName})`);
  console.log(`try: curl ${runtime.url}/v1/health`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      console.log(`${signal}: exiting without waiting`);
      process.exit(130);
    }
    stopping = true;
    console.log(`${signal}: stopping`);
    try {
      await runtime.stop();
    } catch (error) {
      console.error(`stopping failed: ${(error as Error).message}`);
      process.exit(1);
    }
    console.log('stopped');
    process.exit(0);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void stop(signal));
  // If whatever started us (npm, a shell) is killed without passing the signal on, stop too.
  const parent = process.ppid;
  setInterval(() => process.ppid !== parent && void stop('parent exited'), 1000).unref();
}

main().catch((error: unknown) => {
  console.error(`service registry failed to start: ${(error as Error).message}`);
  process.exit(1);
});
