/**
 * `service-registry services | instances | get | register | drain | undrain | deregister`: the registry's core API
 * from a terminal. Every argument is checked before anything is sent (a bad port or `--meta` is a usage error, exit
 * 2, naming the option); text goes out as tables sized to the terminal, `--json` as one JSON document.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { LEASE_MAX_SECONDS, LEASE_MIN_SECONDS, registerBody, type InstanceRecord, type ProtectionStatus } from '@service-registry/contracts';
import { checkInstanceId, checkService, type Registration } from '../client.js';
import { colors, fields, outputWidth, table, type Colors } from './output.mjs';
import { clientFrom, globals, UsageError, type Io } from './shared.mjs';
import { parseExpiry } from './tokens.mjs';

/** Collects a repeatable option. */
export const collect = (value: string, previous: string[] = []) => [...previous, value];

/**
 * Collects a repeatable `--meta key=value` into a map.
 *
 * @example
 * parseMeta('build=42', {}); // => { build: '42' }
 */
export function parseMeta(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const at = value.indexOf('=');
  if (at <= 0) throw new InvalidArgumentError(`'${value}' is not key=value (e.g. build=42)`);
  return { ...previous, [value.slice(0, at)]: value.slice(at + 1) };
}

/** An integer option between `min` and `max`. */
export function integer(name: string, min: number, max: number) {
  return (value: string): number => {
    if (!/^\d+$/.test(value.trim()) || Number(value) < min || Number(value) > max)
      throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}`);
    return Number(value);
  };
}

/** A lease as seconds or a duration (`30s`, `5m`), within the registry's bounds. */
function lease(value: string): number {
  const seconds = parseExpiry(value);
  if (seconds < LEASE_MIN_SECONDS || seconds > LEASE_MAX_SECONDS)
    throw new InvalidArgumentError(`a lease must be ${LEASE_MIN_SECONDS} s to ${LEASE_MAX_SECONDS} s (1 day)`);
  return seconds;
}

/** The option a field of the registration body comes from, for usage errors. */
const OPTION_OF: Record<string, string> = {
  address: '--address',
  port: '--port',
  zone: '--zone',
  weight: '--weight',
  tags: '--tag',
  metadata: '--meta',
  healthCheck: '--http-check',
  leaseSeconds: '--lease',
  status: '--drained',
};

/** A service and instance id checked against the registry's grammar: a usage error naming the argument, not a request. */
const instanceArgs = (service: string, id: string) => [checkService(service), checkInstanceId(id)] as const;

/** Adds the instance and service commands to `program`. */
export function addInstanceCommands(program: Command, io: Io): void {
  program
    .command('services')
    .description('every service you may read, with total and healthy counts')
    .action(async (_options: object, command: Command) => {
      const global = globals(command);
      const services = await clientFrom(global).listServices();
      if (global.json) return io.out(JSON.stringify(services));
      if (services.length === 0) return io.out('no services');
      const c = colors();
      io.out(
        table(
          ['SERVICE', 'INSTANCES', 'HEALTHY'],
          services.map((s) => [s.service, String(s.total), s.healthy < s.total ? c.yellow(String(s.healthy)) : String(s.healthy)]),
          outputWidth(),
          c,
        ),
      );
    });

  program
    .command('instances')
    .description('the instances of a service that discovery returns (healthy ones unless --all)')
    .argument('<service>')
    .option('--all', 'every instance, whatever its status and health')
    .option('--zone <zone>', 'only this zone')
    .option('--tag <tag>', 'only instances with this tag (repeatable: all must match)', collect)
    .option('--meta <key=value>', 'only instances with this metadata (repeatable)', parseMeta)
    .action(async (service: string, options: { all?: boolean; zone?: string; tag?: string[]; meta?: Record<string, string> }, command: Command) => {
      const global = globals(command);
      const result = await clientFrom(global).discoverAll(checkService(service), {
        status: options.all ? 'all' : 'healthy',
        ...(options.zone !== undefined && { zone: options.zone }),
        ...(options.tag && { tags: options.tag }),
        ...(options.meta && { meta: options.meta }),
      });
      if (global.json) return io.out(JSON.stringify({ service, instances: result.instances, ...(result.protection && { protection: result.protection }) }));
      const c = colors();
      if (result.protection) io.out(c.yellow(protectionLine(result.protection)));
      if (result.instances.length === 0) return io.out(`no ${options.all ? '' : 'healthy '}instances of ${service}`);
      const now = Date.now();
      io.out(
        table(
          ['INSTANCE', 'ADDRESS', 'ZONE', 'WEIGHT', 'STATUS', 'HEALTH', 'LEASE', 'TAGS', 'METADATA'],
          result.instances.map((i) => [
            i.instanceId,
            endpoint(i),
            i.zone ?? '-',
            String(i.weight),
            status(i, c),
            health(i, c),
            leaseLeft(i, now),
            i.tags.join(',') || '-',
            metadata(i),
          ]),
          outputWidth(),
          c,
        ),
      );
    });

  program
    .command('get')
    .description('one instance (exit 3 when it is gone or its lease ran out)')
    .argument('<service>')
    .argument('<id>')
    .action(async (service: string, id: string, _options: object, command: Command) => {
      const global = globals(command);
      const instance = await clientFrom(global).get(...instanceArgs(service, id));
      if (global.json) return io.out(JSON.stringify(instance));
      io.out(describeInstance(instance, colors()));
    });

  program
    .command('register')
    .description('register an instance, or replace it (you must own it, or be an admin)')
    .argument('<service>')
    .argument('<id>')
    .requiredOption('--address <address>', 'IP address or hostname')
    .requiredOption('--port <port>', 'port, 1-65535', integer('the port', 1, 65_535))
    .option('--zone <zone>', 'availability zone')
    .option('--weight <weight>', 'load-balancing weight, 0-1000 (default 100)', integer('the weight', 0, 1000))
    .option('--tag <tag>', 'a tag (repeatable)', collect)
    .option('--meta <key=value>', 'metadata (repeatable)', parseMeta)
    .option('--lease <duration>', 'lease, e.g. 30s or 5m (default 30 s, or probe-driven with a check)', lease)
    .addOption(new Option('--http-check <path>', 'health-checked by the prober with GET <path>').conflicts('tcpCheck'))
    .option('--tcp-check', 'health-checked by the prober with a TCP connect')
    .option('--drained', 'register out of rotation (DRAINING), e.g. while warming up')
    .action(async (service: string, id: string, options: RegisterOptions, command: Command) => {
      const global = globals(command);
      const registration = registrationOf(options);
      const record = await clientFrom(global).register(...instanceArgs(service, id), registration);
      if (global.json) return io.out(JSON.stringify(record));
      io.out(`${record.created ? 'registered' : 'replaced'} ${service}/${id} at ${endpoint(record)}, ${record.status}, revision ${record.revision}`);
    });

  for (const [name, target, description] of [
    ['drain', 'DRAINING', 'take an instance out of rotation (status DRAINING); it stays registered'],
    ['undrain', 'UP', 'put a drained instance back into rotation (status UP)'],
  ] as const) {
    program
      .command(name)
      .description(description)
      .argument('<service>')
      .argument('<id>')
      .action(async (service: string, id: string, _options: object, command: Command) => {
        const global = globals(command);
        const record = await clientFrom(global).patch(...instanceArgs(service, id), { status: target });
        if (global.json) return io.out(JSON.stringify(record));
        io.out(`${service}/${id} is ${record.status}, revision ${record.revision}`);
      });
  }

  program
    .command('deregister')
    .description('remove an instance (exit 3 when it is already gone)')
    .argument('<service>')
    .argument('<id>')
    .action(async (service: string, id: string, _options: object, command: Command) => {
      const global = globals(command);
      await clientFrom(global).deregister(...instanceArgs(service, id));
      io.out(global.json ? JSON.stringify({ deregistered: { service, instanceId: id } }) : `deregistered ${service}/${id}`);
    });
}

interface RegisterOptions {
  address: string;
  port: number;
  zone?: string;
  weight?: number;
  tag?: string[];
  meta?: Record<string, string>;
  lease?: number;
  httpCheck?: string;
  tcpCheck?: boolean;
  drained?: boolean;
}

/**
 * The registration the options describe, validated with the registry's own schema, so a value it would refuse is a
 * usage error naming the option, and nothing is sent.
 */
export function registrationOf(options: RegisterOptions): Registration {
  const registration: Registration = {
    address: options.address,
    port: options.port,
    ...(options.zone !== undefined && { zone: options.zone }),
    ...(options.weight !== undefined && { weight: options.weight }),
    ...(options.tag && { tags: options.tag }),
    ...(options.meta && { metadata: options.meta }),
    ...(options.lease !== undefined && { leaseSeconds: options.lease }),
    ...(options.httpCheck !== undefined && { healthCheck: { type: 'http' as const, path: options.httpCheck } }),
    ...(options.tcpCheck && { healthCheck: { type: 'tcp' as const } }),
    ...(options.drained && { status: 'DRAINING' as const }),
  };
  const checked = registerBody.safeParse(registration);
  if (!checked.success) {
    const issue = checked.error.issues[0]!;
    const field = String(issue.path[0] ?? '');
    throw new UsageError(`${OPTION_OF[field] ?? field}: ${issue.message}`);
  }
  return registration;
}

function endpoint(i: InstanceRecord): string {
  return `${i.address.includes(':') ? `[${i.address}]` : i.address}:${i.port}`;
}

function status(i: InstanceRecord, c: Colors): string {
  return i.status === 'UP' ? c.green(i.status) : c.yellow(i.status);
}

function health(i: InstanceRecord, c: Colors): string {
  const text = i.leaseExpired ? `${i.health} (lease expired)` : i.health;
  return i.health === 'passing' ? c.green(text) : i.health === 'critical' ? c.red(text) : c.yellow(text);
}

function leaseLeft(i: InstanceRecord, now: number): string {
  if (i.leaseExpired) return 'expired';
  if (!i.leaseExpiresAt) return 'probe';
  return `${Math.max(0, Math.ceil((Date.parse(i.leaseExpiresAt) - now) / 1000))}s`;
}

function metadata(i: InstanceRecord): string {
  const entries = Object.entries(i.metadata);
  return entries.length === 0 ? '-' : entries.map(([k, v]) => `${k}=${v}`).join(',');
}

function protectionLine(p: ProtectionStatus): string {
  const held = [p.leases && 'expired leases are kept (marked)', p.probes && 'failed probes mark nothing critical'].filter(Boolean).join('; ');
  return `mass-failure protection engaged since ${p.since}${p.provisional ? ' (provisional)' : ''}: ${held}`;
}

function describeInstance(i: InstanceRecord, c: Colors): string {
  const check = i.healthCheck
    ? i.healthCheck.type === 'http'
      ? `http ${i.healthCheck.path ?? '/health'} every ${i.healthCheck.intervalSeconds}s`
      : `tcp every ${i.healthCheck.intervalSeconds}s`
    : 'none';
  return fields(
    [
      ['instance', `${i.service}/${i.instanceId}`],
      ['address', `${endpoint(i)} (${i.protocol})`],
      ['zone', i.zone ?? '-'],
      ['weight', String(i.weight)],
      ['status', status(i, c)],
      ['health', health(i, c)],
      ['health check', check],
      ['lease', i.leaseSeconds === undefined ? 'probe-driven' : `${i.leaseSeconds}s, ${leaseLeft(i, Date.now())} left`],
      ['tags', i.tags.join(', ') || '-'],
      ['metadata', metadata(i)],
      ['revision', String(i.revision)],
      ['registered', i.registeredAt],
      ['updated', i.updatedAt],
    ],
    c,
  );
}
