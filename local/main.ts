/**
 * `npm start`: runs the registry locally. Configuration from the environment (see README):
 * PORT (4000), HOST (127.0.0.1), REGISTRY_DATA_DIR (in memory when unset), REGISTRY_AUTH_FILE (open mode when unset),
 * REGISTRY_DNS_PORT (8600; `off`), REGISTRY_DNS_DOMAIN, REGISTRY_DNS_TTL_SECONDS, REGISTRY_DNS_READ.
 * Ctrl-C (or SIGTERM, SIGHUP, or the parent going away) stops it in order — the prober's schedule, the stream
 * poller, the server, then DynamoDB Local — and exits 0; a second Ctrl-C exits at once (DynamoDB Local's watchdog
 * ends it then).
 */
import { startLocalRuntime } from './runtime.js';

// The SDK's notice that Node 20 is nearing its end: the functions run on nodejs22.x in AWS; this process only hosts them.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

function port(value: string | undefined): number {
  if (value === undefined || value === '') return 4000;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`PORT must be an integer 0-65535, got '${value}'`);
  return n;
}

/**
 * `REGISTRY_DNS_PORT`: `off` runs no DNS server, 0 picks a free port. Unset: 8600, or a free port when the API's
 * `PORT` is 0 too — a runtime asked for any free port (tests, several at once) must not contend for one fixed DNS port.
 */
function dnsPort(value: string | undefined, httpPort: number): number | 'off' {
  if (value === undefined || value === '') return httpPort === 0 ? 0 : 8600;
  if (value.trim().toLowerCase() === 'off') return 'off';
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`REGISTRY_DNS_PORT must be an integer 0-65535 or 'off', got '${value}'`);
  return n;
}

/** `REGISTRY_DNS_TTL_SECONDS`: 5 when unset. */
function dnsTtl(value: string | undefined): number {
  if (value === undefined || value === '') return 5;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 86400) throw new Error(`REGISTRY_DNS_TTL_SECONDS must be an integer 0-86400, got '${value}'`);
  return n;
}

/** `REGISTRY_DNS_DOMAIN`: a domain name of host name labels, lower-cased, no trailing dot. */
function dnsDomain(value: string | undefined): string {
  const domain = (value ?? '').trim().toLowerCase().replace(/\.$/, '');
  if (domain === '') return 'registry.internal';
  if (!/^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(domain) || domain.length > 200) {
    throw new Error(`REGISTRY_DNS_DOMAIN must be a domain name such as registry.internal, got '${value}'`);
  }
  return domain;
}

async function main(): Promise<void> {
  const runtime = await startLocalRuntime({
    host: process.env.HOST || '127.0.0.1',
    port: port(process.env.PORT),
    ...(process.env.REGISTRY_DATA_DIR && { dataDir: process.env.REGISTRY_DATA_DIR }),
    ...(process.env.REGISTRY_AUTH_FILE && { authFile: process.env.REGISTRY_AUTH_FILE }),
    dnsPort: dnsPort(process.env.REGISTRY_DNS_PORT, port(process.env.PORT)),
    dnsDomain: dnsDomain(process.env.REGISTRY_DNS_DOMAIN),
    dnsTtlSeconds: dnsTtl(process.env.REGISTRY_DNS_TTL_SECONDS),
    ...(process.env.REGISTRY_DNS_READ && {
      dnsRead: process.env.REGISTRY_DNS_READ.split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    }),
    onRequest: ({ method, path, status, ms }) => console.log(`${method} ${path} ${status} ${ms.toFixed(1)}ms`),
  });
  console.log(`service registry listening on ${runtime.url}`);
  console.log(`DynamoDB Local at ${runtime.dynamoEndpoint} (table ${runtime.tableName})`);
  if (runtime.dnsPort !== undefined)
    console.log(
      `DNS on ${process.env.HOST || '127.0.0.1'} port ${runtime.dnsPort} (UDP and TCP) for ${dnsDomain(process.env.REGISTRY_DNS_DOMAIN)}: dig @${process.env.HOST || '127.0.0.1'} -p ${runtime.dnsPort} _<service>._tcp.${dnsDomain(process.env.REGISTRY_DNS_DOMAIN)} SRV`,
    );
  console.log(`console: ${runtime.url}/`);
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
