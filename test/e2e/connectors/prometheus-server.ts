/**
 * Debian's Prometheus binary, started for one test file: the real client of the registry's Prometheus HTTP service
 * discovery and Eureka connectors. It runs on a free loopback port with its own config and TSDB in a temporary
 * directory; `stop()` sends SIGTERM and waits for it to exit (Prometheus flushes its head block on the way), then
 * removes the directory.
 *
 * Mind Prometheus' own pace when waiting for a change: its discovery manager hands target updates to the scrape
 * manager at most every 5 s (`updatert` in discovery/manager.go), whatever `refresh_interval` says, so poll
 * `targets()` with a deadline of ~15 s rather than expecting a change after one refresh interval.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where Debian installs it (`apt-get install prometheus`; .ci/run installs it when missing). */
export const PROMETHEUS_BINARY = process.env.PROMETHEUS_BINARY ?? '/usr/bin/prometheus';

/** One entry of `GET /api/v1/targets` `data.activeTargets`. */
export interface ActiveTarget {
  readonly discoveredLabels: Record<string, string>;
  readonly labels: Record<string, string>;
  readonly scrapePool: string;
  readonly scrapeUrl: string;
  readonly health: 'up' | 'down' | 'unknown';
  readonly lastError: string;
}

/**
 * Polls `prometheus.targets()` until `done` holds for them; throws with the last targets and Prometheus' log after
 * `timeoutMs` (default 20 s: the 5 s discovery update pace plus refresh and scrape intervals).
 */
export async function waitForTargets(prometheus: PrometheusServer, done: (targets: ActiveTarget[]) => boolean, timeoutMs = 20_000): Promise<ActiveTarget[]> {
  const deadline = Date.now() + timeoutMs;
  let last: ActiveTarget[] = [];
  while (Date.now() < deadline) {
    last = await prometheus.targets();
    if (done(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`prometheus targets never matched within ${timeoutMs} ms; last: ${JSON.stringify(last, null, 1)}\nlog:\n${prometheus.log().slice(-4000)}`);
}

export interface PrometheusServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** The active scrape targets Prometheus holds now (all scrape pools). */
  targets(): Promise<ActiveTarget[]>;
  /** Targets Prometheus discovered but relabelling dropped. */
  droppedTargets(): Promise<Array<{ discoveredLabels: Record<string, string> }>>;
  /** What Prometheus printed so far (its log goes to stderr), for failure messages. */
  log(): string;
  stop(): Promise<void>;
}

/** A port nothing listens on right now (Prometheus cannot be told to pick one and report it). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * Starts Prometheus with `config` (the object form of prometheus.yml; JSON is valid YAML) and waits until it is
 * ready. Throws with Prometheus' own log when it exits or does not get ready within 30 s (a bad config, say).
 *
 * @example
 * const prometheus = await startPrometheus({
 *   global: { scrape_interval: '1s' },
 *   scrape_configs: [{ job_name: 'registry', http_sd_configs: [{ url: `${runtime.url}/v1/sd/prometheus`, refresh_interval: '1s' }] }],
 * });
 * const targets = await prometheus.targets();
 * await prometheus.stop();
 */
export async function startPrometheus(config: object): Promise<PrometheusServer> {
  const dir = await mkdtemp(join(tmpdir(), 'prometheus-'));
  const configFile = join(dir, 'prometheus.yml');
  await writeFile(configFile, JSON.stringify(config, null, 2));
  let output = '';
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let url = '';
  // A port found free can be taken before Prometheus binds it; try a few.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    child = spawn(
      PROMETHEUS_BINARY,
      [
        `--config.file=${configFile}`,
        `--web.listen-address=127.0.0.1:${port}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        '--log.level=info',
        '--web.enable-lifecycle',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const proc = child;
    proc.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    proc.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    const ready = await waitReady(url, proc);
    if (ready) break;
    await stopProcess(proc, exited);
    if (!/address already in use/.test(output)) {
      await rm(dir, { recursive: true, force: true });
      throw new Error(`prometheus did not get ready:\n${output}`);
    }
    child = undefined;
  }
  if (!child) {
    await rm(dir, { recursive: true, force: true });
    throw new Error(`prometheus could not bind a free port:\n${output}`);
  }
  const proc = child;

  const api = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${url}${path}`);
    if (!res.ok) throw new Error(`prometheus ${path}: ${res.status} ${await res.text()}`);
    return ((await res.json()) as { data: T }).data;
  };
  return {
    url,
    targets: async () => (await api<{ activeTargets: ActiveTarget[] }>('/api/v1/targets?state=active')).activeTargets,
    droppedTargets: async () =>
      (await api<{ droppedTargets: Array<{ discoveredLabels: Record<string, string> }> }>('/api/v1/targets?state=dropped')).droppedTargets,
    log: () => output,
    stop: async () => {
      await stopProcess(proc, exited);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Polls `/-/ready` until 200; false when the process exits first or 30 s pass. */
async function waitReady(url: string, proc: ChildProcess): Promise<boolean> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null || proc.signalCode !== null) return false;
    try {
      const res = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return true;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

/** SIGTERM, then SIGKILL after 10 s if it has not exited; resolves once it has. */
async function stopProcess(proc: ChildProcess, exited: Promise<void>): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  proc.kill('SIGTERM');
  const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}
