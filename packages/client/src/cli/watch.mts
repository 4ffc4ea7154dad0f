/**
 * `service-registry watch [service…]`: live change events, one line each, coloured by kind (`--json`: one JSON
 * object per line, the event as delivered). Against the local runtime it follows `GET /v1/events` (the SDK's
 * {@link SseFeed}); against AWS (SigV4: there is no `/v1/events` there) it polls discovery every ~2 s with
 * `If-None-Match` and turns the differences into the same events ({@link DiscoveryPoller}, which says what that
 * approximates). Runs until interrupted; Ctrl-C stops it with exit 0.
 */
import type { Command } from 'commander';
import { SseFeed } from '../feeds.js';
import { checkService } from '../client.js';
import { RegistryUnavailableError } from '../errors.js';
import type { RegistryEvent } from '../events.js';
import { colors, type Colors } from './output.mjs';
import { DiscoveryPoller, type PolledEvent } from './poll-feed.mjs';
import { EXIT, globals, targetFrom, type Io } from './shared.mjs';

/** Adds `watch` to `program`. */
export function addWatchCommand(program: Command, io: Io): void {
  program
    .command('watch')
    .description('print change events as they happen, one line each (Ctrl-C to stop)')
    .argument('[service...]', 'only these services (default: every service you may read)')
    .option('--interval <seconds>', 'AWS only: seconds between discovery polls', '2')
    .addHelpText(
      'after',
      "\nLocally the events come from the registry's feed (GET /v1/events). Against AWS (an execute-api URL or\n" +
        '--region) there is no such feed: watch polls discovery every ~2 s with If-None-Match and prints the\n' +
        'differences as the same events. Polling sees states, not changes: several changes of one instance between\n' +
        "two polls print once (the latest revision), a removal's reason is inferred, and protection events are not shown.",
    )
    .action(async (services: string[], options: { interval: string }, command: Command) => {
      const global = globals(command);
      const target = targetFrom(global);
      const wanted = services.map(checkService);
      const c = colors();
      const print = (event: RegistryEvent | PolledEvent) => io.out(global.json ? JSON.stringify(event) : eventLine(event, c));
      const failed = new Promise<Error>((resolve) => {
        if (target.auth === 'sigv4') {
          const interval = Number(options.interval);
          let polled = false;
          const poller = new DiscoveryPoller({
            client: target.client,
            ...(wanted.length > 0 && { services: wanted }),
            intervalMs: Number.isFinite(interval) && interval >= 0.5 ? interval * 1000 : 2000,
            onEvent: print,
            // The first poll failing (refused, unreachable) ends the watch with that error's exit code; later
            // failures are said and retried at the next interval.
            onError: (error) => (polled ? io.err(`service-registry: watch: ${error.message}`) : void poller.stop().then(() => resolve(error))),
            onPoll: () => (polled = true),
          });
          poller.start();
          stopOnSignal(() => poller.stop());
        } else {
          let connected = false;
          const feed = new SseFeed({
            client: target.client,
            ...(wanted.length > 0 && { services: wanted }),
            // A registry unreachable from the start ends the watch (exit 5), a refused token too (the feed stops
            // itself); once connected, failures are said and the feed reconnects.
            onError: (error) => {
              if (feed.failure) return;
              if (!connected && error instanceof RegistryUnavailableError) return void feed.stop().then(() => resolve(error));
              io.err(`service-registry: watch: ${error.message}`);
            },
          });
          feed.start({
            onEvent: print,
            onGap: () => {
              if (connected)
                io.out(
                  global.json
                    ? JSON.stringify({ gap: true, time: new Date().toISOString() })
                    : c.yellow(`${clock(new Date())}  events may have been missed (the feed resynced)`),
                );
              connected = true;
            },
          });
          stopOnSignal(() => feed.stop());
          // A 401/403 stops the feed for good: wait for it and end with the refusal's exit code.
          const poll = setInterval(() => {
            if (feed.failure) {
              clearInterval(poll);
              void feed.stop().then(() => resolve(feed.failure!));
            }
          }, 100);
          poll.unref();
        }
      });
      throw await failed;
    });
}

/** Stops on SIGINT/SIGTERM, then exits 0: interrupting a watch is how it ends. */
function stopOnSignal(stop: () => Promise<void>): void {
  const onSignal = () => void stop().finally(() => process.exit(EXIT.ok));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
}

const clock = (time: Date) => time.toISOString().slice(11, 19);

/**
 * One event as a line: time, kind, instance and what changed.
 *
 * @example
 * // 12:00:03  registered    orders/orders-1  rev 1732449603000000  10.0.0.5:8080 UP passing
 */
export function eventLine(event: RegistryEvent | PolledEvent, c: Colors): string {
  const type = event['detail-type'];
  const time = clock(new Date('time' in event.detail ? event.detail.time : event.time));
  if (type === 'Registry Protection Engaged' || type === 'Registry Protection Released') {
    const d = event.detail as Extract<RegistryEvent, { 'detail-type': typeof type }>['detail'];
    const text = `${time}  ${type === 'Registry Protection Engaged' ? 'PROTECTION ON ' : 'protection off'}  shard ${d.shard ?? 0}: leases ${d.expiredLeases}/${d.leasedInstances} expired, probes ${d.failedTargets}/${d.probedTargets} failed`;
    return type === 'Registry Protection Engaged' ? c.bold(c.red(text)) : c.green(text);
  }
  if (type === 'Registry Resync Required') {
    const d = event.detail as Extract<RegistryEvent, { 'detail-type': 'Registry Resync Required' }>['detail'];
    return c.yellow(`${time}  resync         events of ${d.services.join(', ')} may be late: reload them`);
  }
  const d = event.detail as PolledEvent['detail'];
  const i = d.instance;
  // Additions green, changes cyan, health by its new state, removals red (expiries magenta).
  const [label, paint] =
    type === 'Instance Registered'
      ? ['registered', c.green]
      : type === 'Instance Updated'
        ? ['updated', c.cyan]
        : type === 'Instance Health Changed'
          ? ['health', i?.health === 'passing' ? c.green : c.red]
          : type === 'Instance Deregistered'
            ? ['deregistered', c.red]
            : type === 'Instance Expired'
              ? ['expired', c.magenta]
              : [type, (s: string) => s];
  const state = i ? `${i.address.includes(':') ? `[${i.address}]` : i.address}:${i.port} ${i.status} ${i.health}` : `gone (${d.reason})`;
  const changed = d.changed.length > 0 ? `  (${d.changed.join(', ')})` : '';
  return `${time}  ${paint(label.padEnd(13))}  ${d.service}/${d.instanceId}  rev ${d.revision}  ${state}${changed}`;
}
