/**
 * `npm run bench:dns`: DNS answers per second of the local runtime's DNS server. The runtime (with its own DynamoDB
 * Local) runs in this process; the load comes from a child process (this file with `client`), so the figures count
 * only the server's work. UDP queries for A and SRV names with BENCH_DNS_CONCURRENCY (64) outstanding for
 * BENCH_DNS_SECONDS (10), in two runs: every query for one service (concurrent queries share one registry read), and
 * queries spread over 50 services (little sharing: each answer is two discovery reads of DynamoDB Local).
 * "Per CPU-second" divides by the user+system CPU time this process spent (one core's worth of work: Node answers
 * on one thread); DynamoDB Local's JVM is a separate process, not counted.
 */
import { fork } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { fileURLToPath } from 'node:url';
import packet from 'dns-packet';

const D = 'registry.internal';
const SECONDS = Number(process.env.BENCH_DNS_SECONDS ?? 10);
const CONCURRENCY = Number(process.env.BENCH_DNS_CONCURRENCY ?? 64);
const SERVICES = 50;

/** The load generator: keeps `CONCURRENCY` queries outstanding until the time is up; reports answers and timeouts. */
async function client(port: number, names: string[]): Promise<{ answers: number; errors: number; seconds: number }> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  const pending = new Map<number, NodeJS.Timeout>();
  let answers = 0;
  let errors = 0;
  let nextId = 0;
  const started = performance.now();
  const deadline = Date.now() + SECONDS * 1000;
  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (finish = resolve));
  const send = () => {
    if (Date.now() >= deadline) {
      if (pending.size === 0) finish();
      return;
    }
    const id = (nextId = (nextId + 1) & 0xffff);
    const name = names[id % names.length]!;
    const query = packet.encode({ type: 'query', id, questions: [{ type: name.startsWith('_') ? 'SRV' : 'A', name }] });
    pending.set(
      id,
      setTimeout(() => {
        pending.delete(id);
        errors++;
        send();
      }, 2000),
    );
    socket.send(query, port, '127.0.0.1');
  };
  socket.on('message', (message) => {
    const id = message.readUInt16BE(0);
    const timer = pending.get(id);
    if (!timer) return;
    clearTimeout(timer);
    pending.delete(id);
    if ((message.readUInt16BE(2) & 0xf) === 0) answers++;
    else errors++;
    send();
  });
  for (let i = 0; i < CONCURRENCY; i++) send();
  await done;
  socket.close();
  return { answers, errors, seconds: (performance.now() - started) / 1000 };
}

if (process.argv[2] === 'client') {
  const [port, ...names] = process.argv.slice(3);
  const result = await client(Number(port), names);
  process.send!(result);
  process.disconnect();
} else {
  const { startLocalRuntime } = await import('../local/runtime.js');
  const runtime = await startLocalRuntime({ port: 0, dnsPort: 0, prober: false });
  try {
    for (let s = 0; s < SERVICES; s++) {
      for (let i = 0; i < 5; i++) {
        const body = JSON.stringify({ address: `10.${s}.0.${i + 1}`, port: 8080, tags: ['v2'], leaseSeconds: 3600 });
        const reply = await fetch(`${runtime.url}/v1/services/svc-${s}/instances/i-${i}`, {
          method: 'PUT',
          headers: { 'content-type': 'application/json' },
          body,
        });
        if (!reply.ok) throw new Error(`register failed: ${reply.status}`);
      }
    }
    const run = async (names: string[]) => {
      const cpu = process.cpuUsage();
      const child = fork(fileURLToPath(import.meta.url), ['client', String(runtime.dnsPort), ...names], { execArgv: ['--import', 'tsx'] });
      const result = await new Promise<{ answers: number; errors: number; seconds: number }>((resolve, reject) => {
        child.once('message', (m) => resolve(m as { answers: number; errors: number; seconds: number }));
        child.once('error', reject);
      });
      await new Promise((resolve) => child.once('exit', resolve));
      const used = process.cpuUsage(cpu);
      const cpuSeconds = (used.user + used.system) / 1e6;
      return { ...result, perSecond: result.answers / result.seconds, perCpuSecond: result.answers / cpuSeconds };
    };
    const one = await run([`svc-0.${D}`, `_svc-0._tcp.${D}`]);
    const spread = await run(Array.from({ length: SERVICES }, (_, s) => (s % 2 === 0 ? `svc-${s}.${D}` : `_svc-${s}._tcp.${D}`)));
    console.log(`bench:dns — UDP, ${CONCURRENCY} queries outstanding, ${SECONDS} s per run, 5 instances per service, node ${process.version}`);
    console.log('| run | answers/s | answers per CPU-second of the server | errors/timeouts |');
    console.log('|---|---:|---:|---:|');
    console.log(`| one service (A and SRV) | ${one.perSecond.toFixed(0)} | ${one.perCpuSecond.toFixed(0)} | ${one.errors} |`);
    console.log(`| 50 services (A and SRV) | ${spread.perSecond.toFixed(0)} | ${spread.perCpuSecond.toFixed(0)} | ${spread.errors} |`);
  } finally {
    await runtime.stop();
  }
}
