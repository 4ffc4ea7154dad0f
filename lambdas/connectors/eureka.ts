/**
 * Eureka REST compatibility: the one mapping between Netflix Eureka's v2 wire model and the registry's own. Pure (no
 * AWS, no HTTP): the Lambda handler (`lambdas/handlers/eureka.ts`) and the route table use it, and unit tests pin it.
 *
 * Model mapping (README *Connectors → Eureka* shows it to users):
 * - app name ↔ service: Eureka upper-cases app names, the registry keeps lower-case DNS labels; an app name that is
 *   not one once lower-cased (`MY_APP`, `a.b`) is a 400 naming `path.app`.
 * - `instanceId` ↔ instance id (Eureka's own fallback when absent: the AWS `instance-id`, else `hostName`).
 * - `ipAddr`/`hostName` ↔ address: the address is `ipAddr` when it is an IP literal, else `hostName`; the other one,
 *   when it differs, is kept in the reserved metadata key `eureka.hostName` (or `eureka.ipAddr`) and is checked
 *   against the same address policy by the handler, so neither reaches clients unchecked.
 * - `port.$` ↔ port (`securePort.$` when only the secure port is enabled, then protocol `https`); an enabled
 *   `securePort` is kept in `eureka.securePort`.
 * - `leaseInfo.durationInSecs` ↔ lease (default 90 s, Eureka's); Eureka registrations are always lease-mode.
 * - `metadata` ↔ metadata (keys starting `eureka.` are reserved for this mapping and hidden from Eureka clients).
 * - `dataCenterInfo` `Amazon` `availability-zone` ↔ zone (for other data centers, a `zone` metadata key, Spring
 *   Cloud's convention, sets the zone too); the data center's name is kept in `eureka.dataCenter` when not `MyOwn`.
 * - `vipAddress`/`secureVipAddress` (comma-separated) ↔ tags `vip:<name>`/`svip:<name>`; an instance with no `vip:`
 *   tag (registered natively) shows its service name as its VIP, as Spring Cloud sets it.
 * - status: see {@link eurekaStatus} and {@link fromEurekaStatus}.
 */
import { isIP } from 'node:net';
import pMap from 'p-map';
import * as z from 'zod';
import { instanceId as instanceIdSchema, serviceName } from '@service-registry/contracts';
import type { Caller } from '../domain/caller.js';
import { ValidationError, type FieldProblem } from '../domain/errors.js';
import type { Instance } from '../domain/instance.js';
import type { Registry } from '../domain/registry.js';

// The operations and their routes: ./eureka-routes.ts (the route table imports it, and the CDK construct inlines the
// route table, so that module imports nothing).

// ── Names ──

/**
 * The service an app name stands for: lower-cased, and it must then be a service name.
 *
 * @example
 * serviceOf('ORDERS'); // => 'orders'
 * serviceOf('MY_APP'); // throws a 400 naming path.app
 */
export function serviceOf(app: string, field = 'path.app'): string {
  const service = app.toLowerCase();
  const parsed = serviceName.safeParse(service);
  if (!parsed.success) {
    throw new ValidationError([
      {
        field,
        message: `app '${app}' is not a registry service name once lower-cased: a-z, 0-9 and -, 1-63 characters, no leading or trailing - (Eureka app names with _ or . are not supported)`,
      },
    ]);
  }
  return service;
}

/** The Eureka app name of a service (Eureka upper-cases app names). */
export const appOf = (service: string): string => service.toUpperCase();

// ── Status ──

export const EUREKA_STATUSES = ['UP', 'DOWN', 'STARTING', 'OUT_OF_SERVICE', 'UNKNOWN'] as const;
export type EurekaStatus = (typeof EUREKA_STATUSES)[number];

/** Reserved metadata keys this mapping keeps (hidden from Eureka's `metadata`, visible in the native API). */
export const RESERVED_PREFIX = 'eureka.';
const KEY = {
  status: 'eureka.status',
  override: 'eureka.overriddenStatus',
  hostName: 'eureka.hostName',
  ipAddr: 'eureka.ipAddr',
  securePort: 'eureka.securePort',
  dataCenter: 'eureka.dataCenter',
  homePageUrl: 'eureka.homePageUrl',
  statusPageUrl: 'eureka.statusPageUrl',
  healthCheckUrl: 'eureka.healthCheckUrl',
} as const;

/**
 * The Eureka status of an instance. The registry's status says whether the owner wants traffic (UP, DRAINING), its
 * health whether the registry judges it able to serve (passing, critical, unknown):
 * - DRAINING → the status a Eureka client set (`DOWN`, `STARTING`, `UNKNOWN`, kept in `eureka.status`), else
 *   `OUT_OF_SERVICE` (Eureka's "registered, but send no traffic").
 * - UP and health critical (probes fail) → `DOWN`.
 * - UP otherwise → `UP` (health `unknown`, i.e. not probed yet or kept by the lease guard, stays UP, as Eureka's
 *   self-preservation keeps expired leases UP).
 *
 * @example
 * eurekaStatus({ status: 'UP', health: 'critical', metadata: {} }); // => 'DOWN'
 */
export function eurekaStatus(instance: Pick<Instance, 'status' | 'health' | 'metadata'>): EurekaStatus {
  if (instance.status === 'DRAINING') {
    const kept = instance.metadata[KEY.status];
    return kept === 'DOWN' || kept === 'STARTING' || kept === 'UNKNOWN' ? kept : 'OUT_OF_SERVICE';
  }
  return instance.health === 'critical' ? 'DOWN' : 'UP';
}

/**
 * How a status a Eureka client sends is stored: `UP` → UP; anything else → DRAINING (no traffic, still registered),
 * remembering `DOWN`, `STARTING` and `UNKNOWN` in `eureka.status` so Eureka clients read back what they set.
 *
 * @example
 * fromEurekaStatus('STARTING'); // => { status: 'DRAINING', marker: 'STARTING' }
 */
export function fromEurekaStatus(status: EurekaStatus): { status: 'UP' | 'DRAINING'; marker?: EurekaStatus } {
  if (status === 'UP') return { status: 'UP' };
  if (status === 'OUT_OF_SERVICE') return { status: 'DRAINING' };
  return { status: 'DRAINING', marker: status };
}

/** Metadata with the status marker set for `status` (or removed). */
export function withStatusMarker(metadata: Readonly<Record<string, string>>, marker: EurekaStatus | undefined): Record<string, string> {
  const { [KEY.status]: _old, ...rest } = metadata;
  return marker ? { ...rest, [KEY.status]: marker } : rest;
}

/**
 * The status override an operator set with `PUT …/status?value=` (Eureka's `overriddenStatus`), if any. Like Eureka's,
 * it outlives the client's own status reports: a re-registration keeps it until `DELETE …/status` removes it.
 */
export function overrideOf(metadata: Readonly<Record<string, string>>): EurekaStatus | undefined {
  return EUREKA_STATUSES.find((s) => s === metadata[KEY.override]);
}

/** Metadata with the override set (or removed) and the status marker that goes with `status`. */
export function withOverride(metadata: Readonly<Record<string, string>>, override: EurekaStatus | undefined, status: EurekaStatus): Record<string, string> {
  const { [KEY.override]: _old, ...rest } = withStatusMarker(metadata, fromEurekaStatus(status).marker);
  return override ? { ...rest, [KEY.override]: override } : rest;
}

/**
 * A registration plan under an override still in force: the override's status, not the one the client reported.
 *
 * @example
 * keepOverride(plan, 'OUT_OF_SERVICE').status; // => { status: 'DRAINING' }
 */
export function keepOverride(plan: EurekaRegistrationPlan, override: EurekaStatus): EurekaRegistrationPlan {
  const metadata = withOverride(plan.body.metadata as Record<string, string>, override, override);
  const { status: _reported, ...rest } = plan;
  const status = fromEurekaStatus(override);
  return { ...rest, body: { ...plan.body, metadata }, ...(status.status !== 'UP' && { status }) };
}

/** Parses a `?value=` status, or a 400 naming the field. */
export function parseStatus(value: string | undefined, field: string): EurekaStatus {
  const status = EUREKA_STATUSES.find((s) => s === value);
  if (!status) throw new ValidationError([{ field, message: `must be one of ${EUREKA_STATUSES.join(', ')}${value === undefined ? '' : `, got '${value}'`}` }]);
  return status;
}

// ── Hashcode ──

/**
 * Eureka's reconcile hashcode (`Applications.getReconcileHashCode`): for each status in sorted order (a `TreeMap`),
 * `<STATUS>_<count>_`. Clients compare it with the hashcode of their own copy after applying a delta, and fetch
 * the full registry when they differ.
 *
 * @example
 * reconcileHashCode(['UP', 'DOWN', 'UP']); // => 'DOWN_1_UP_2_'
 */
export function reconcileHashCode(statuses: Iterable<string>): string {
  const counts = new Map<string, number>();
  for (const status of statuses) counts.set(status, (counts.get(status) ?? 0) + 1);
  return [...counts.keys()]
    .sort()
    .map((status) => `${status}_${counts.get(status)}_`)
    .join('');
}

// ── Registration: Eureka instance → register body ──

const requiredString = (what = 'a string') =>
  z.string({ error: (issue) => (issue.input === undefined ? 'is required' : `must be ${what}`) }).min(1, 'must not be empty');
const numberish = z.union([
  z.number().int(),
  z
    .string()
    .regex(/^\d{1,10}$/, 'must be a whole number')
    .transform(Number),
]);
const booleanish = z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]);
/** A port as JSON (`{"$":8080,"@enabled":"true"}`, or a bare number) and XML (`<port enabled="true">8080</port>`) carry it. */
const port = z.union([
  numberish.transform((value) => ({ value, enabled: true })),
  z.looseObject({ $: numberish, '@enabled': booleanish.optional() }).transform((p) => ({ value: p.$, enabled: p['@enabled'] ?? true })),
]);
/** String maps: JSON objects, or what the XML reader makes of `<metadata/>` (an empty string). */
const stringMap = z.union([z.literal(''), z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]))]).transform((map) =>
  map === ''
    ? {}
    : Object.fromEntries(
        Object.entries(map)
          .filter(([k]) => k !== '@class')
          .map(([k, v]) => [k, String(v)]),
      ),
);

/** The fields of a Eureka instance this registry reads; every other field (`countryId`, timestamps, …) is ignored. */
const eurekaInstance = z.looseObject({
  instanceId: z.string().optional(),
  hostName: requiredString(),
  app: requiredString(),
  ipAddr: requiredString(),
  status: z.enum(EUREKA_STATUSES).optional(),
  port: port.optional(),
  securePort: port.optional(),
  vipAddress: z.string().optional(),
  secureVipAddress: z.string().optional(),
  homePageUrl: z.string().optional(),
  statusPageUrl: z.string().optional(),
  healthCheckUrl: z.string().optional(),
  dataCenterInfo: z.looseObject(
    { name: requiredString(), '@class': z.string().optional(), metadata: stringMap.optional() },
    { error: (issue) => (issue.input === undefined ? 'is required' : 'must be an object') },
  ),
  leaseInfo: z.union([z.literal(''), z.looseObject({ durationInSecs: numberish.optional() })]).optional(),
  metadata: stringMap.optional(),
});

/** `POST /apps/{app}`'s body, as JSON or as XML read by `eureka-xml.ts` (same shape). */
export const eurekaRegistration = z.looseObject({
  instance: z.looseObject({}, { error: (issue) => (issue.input === undefined ? 'is required' : 'must be an object') }).pipe(eurekaInstance),
});

/** Eureka's default lease (`LeaseInfo.DEFAULT_LEASE_DURATION`). */
export const EUREKA_DEFAULT_LEASE_SECONDS = 90;

/** A Eureka registration, mapped: where it goes and what to register. */
export interface EurekaRegistrationPlan {
  readonly service: string;
  readonly instanceId: string;
  /** A `registerBody` input (validated by the caller with the registry's own schema). */
  readonly body: Record<string, unknown>;
  /** Set when the client registered a status other than UP: the handler registers with it (one write). */
  readonly status?: { status: 'UP' | 'DRAINING'; marker?: EurekaStatus };
  /** The other of `hostName`/`ipAddr`, kept in metadata: the handler checks it with the address policy. */
  readonly secondaryAddress?: { value: string; field: string };
  /** Which Eureka field became the registry's address (errors about `body.address` name it). */
  readonly addressField: string;
}

const F = 'body.instance';

/**
 * Maps a Eureka registration onto the registry's register body. Throws a 400 naming the Eureka field for missing or
 * malformed fields, an app that differs from the path's, or reserved metadata keys.
 *
 * @example
 * planRegistration('ORDERS', { instance: { app: 'ORDERS', hostName: 'h', ipAddr: '10.0.0.5', port: { $: 8080, '@enabled': 'true' }, dataCenterInfo: { name: 'MyOwn' } } });
 * // => { service: 'orders', instanceId: 'h', body: { address: '10.0.0.5', port: 8080, ... } }
 */
export function planRegistration(pathApp: string, raw: unknown): EurekaRegistrationPlan {
  const service = serviceOf(pathApp);
  const parsed = eurekaRegistration.safeParse(raw);
  if (!parsed.success)
    throw new ValidationError(parsed.error.issues.map((issue) => ({ field: ['body', ...issue.path.map(String)].join('.'), message: issue.message })));
  const instance = parsed.data.instance as z.output<typeof eurekaInstance>;
  if (instance.app.toLowerCase() !== service) {
    throw new ValidationError([{ field: `${F}.app`, message: `'${instance.app}' does not match the app in the path, '${pathApp}'` }]);
  }
  const dcMetadata = instance.dataCenterInfo.metadata ?? {};
  const amazon = instance.dataCenterInfo.name.toLowerCase() === 'amazon';
  const id = instance.instanceId || (amazon ? dcMetadata['instance-id'] : undefined) || instance.hostName;
  const instanceId = instanceIdSchema.safeParse(id);
  if (!instanceId.success) throw new ValidationError([{ field: `${F}.instanceId`, message: `'${id}' must be 1-128 characters of A-Z a-z 0-9 . _ : -` }]);

  const metadata = instance.metadata ?? {};
  const reserved = Object.keys(metadata).filter((key) => key.startsWith(RESERVED_PREFIX));
  if (reserved.length > 0)
    throw new ValidationError(
      reserved.map((key) => ({ field: `${F}.metadata.${key}`, message: `keys starting '${RESERVED_PREFIX}' are reserved for the Eureka mapping` })),
    );

  const byIp = isIP(instance.ipAddr) !== 0;
  const address = byIp ? instance.ipAddr : instance.hostName;
  const secondary = byIp
    ? { value: instance.hostName, field: `${F}.hostName`, key: KEY.hostName }
    : { value: instance.ipAddr, field: `${F}.ipAddr`, key: KEY.ipAddr };
  const kept: Record<string, string> = {};
  if (secondary.value !== address) kept[secondary.key] = secondary.value;

  const plain = instance.port?.enabled ? instance.port : undefined;
  const secure = instance.securePort?.enabled ? instance.securePort : undefined;
  if (!plain && !secure) throw new ValidationError([{ field: `${F}.port`, message: 'is required: an enabled port or securePort' }]);
  if (secure) kept[KEY.securePort] = String(secure.value);
  if (instance.dataCenterInfo.name !== 'MyOwn') kept[KEY.dataCenter] = amazon ? 'Amazon' : instance.dataCenterInfo.name;
  for (const url of ['homePageUrl', 'statusPageUrl', 'healthCheckUrl'] as const) if (instance[url]) kept[KEY[url]] = instance[url]!;

  const status = fromEurekaStatus(instance.status ?? 'UP');
  if (status.marker) kept[KEY.status] = status.marker;
  const zone = amazon ? dcMetadata['availability-zone'] : metadata.zone;
  const leaseInfo = instance.leaseInfo === '' ? undefined : instance.leaseInfo;
  const tags = [...splitVips(instance.vipAddress).map((vip) => `vip:${vip}`), ...splitVips(instance.secureVipAddress).map((vip) => `svip:${vip}`)];
  const body: Record<string, unknown> = {
    address,
    port: (plain ?? secure)!.value,
    protocol: plain ? 'http' : 'https',
    ...(zone && { zone }),
    tags: [...new Set(tags)],
    metadata: { ...metadata, ...kept },
    leaseSeconds: leaseInfo?.durationInSecs ?? EUREKA_DEFAULT_LEASE_SECONDS,
  };
  return {
    service,
    instanceId: instanceId.data,
    body,
    ...(status.status !== 'UP' && { status }),
    ...(secondary.value !== address && { secondaryAddress: { value: secondary.value, field: secondary.field } }),
    addressField: byIp ? `${F}.ipAddr` : `${F}.hostName`,
  };
}

const splitVips = (value: string | undefined) =>
  (value ?? '')
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);

/**
 * Renames the registry's field names in a 400 (`body.port`, …) to the Eureka fields they came from, so a Eureka
 * client's author reads the field they sent.
 */
export function eurekaProblems(problems: readonly FieldProblem[], addressField: string): FieldProblem[] {
  const rename: Record<string, string> = {
    'body.address': addressField,
    'body.port': `${F}.port.$`,
    'body.zone': `${F}.dataCenterInfo.metadata.availability-zone`,
    'body.tags': `${F}.vipAddress`,
    'body.metadata': `${F}.metadata`,
    'body.leaseSeconds': `${F}.leaseInfo.durationInSecs`,
  };
  return problems.map((p) => {
    const match = Object.keys(rename).find((field) => p.field === field || p.field.startsWith(`${field}.`));
    return match ? { field: rename[match]! + p.field.slice(match.length), message: p.message } : p;
  });
}

// ── Instances → Eureka documents ──

/** The JSON form of a Eureka port. */
export interface EurekaPort {
  readonly $: number;
  readonly '@enabled': 'true' | 'false';
}

/** One instance as Eureka serves it (JSON form; `eureka-xml.ts` renders the same object as XML). */
export interface EurekaInstance {
  readonly instanceId: string;
  readonly hostName: string;
  readonly app: string;
  readonly ipAddr: string;
  readonly status: EurekaStatus;
  readonly overriddenStatus: EurekaStatus;
  readonly port: EurekaPort;
  readonly securePort: EurekaPort;
  readonly countryId: 1;
  readonly dataCenterInfo: { '@class': string; name: string; metadata?: Record<string, string> };
  readonly leaseInfo: {
    renewalIntervalInSecs: number;
    durationInSecs: number;
    registrationTimestamp: number;
    lastRenewalTimestamp: number;
    evictionTimestamp: 0;
    serviceUpTimestamp: number;
  };
  readonly metadata: Record<string, string>;
  readonly homePageUrl?: string;
  readonly statusPageUrl?: string;
  readonly healthCheckUrl?: string;
  readonly vipAddress: string;
  readonly secureVipAddress?: string;
  readonly isCoordinatingDiscoveryServer: 'false';
  readonly lastUpdatedTimestamp: string;
  readonly lastDirtyTimestamp: string;
  readonly actionType?: 'ADDED' | 'MODIFIED' | 'DELETED';
}

export interface EurekaApplication {
  readonly name: string;
  readonly instance: EurekaInstance[];
}

/** `{"applications": …}`: the body of `GET /apps`, `/apps/delta` and `/vips/{vip}`. */
export interface EurekaApplications {
  readonly applications: { versions__delta: string; apps__hashcode: string; application: EurekaApplication[] };
}

/** `@class` values Eureka's Jackson/XStream codecs write, which the Java client and Spring read back. */
const DATA_CENTER_CLASS = { amazon: 'com.netflix.appinfo.AmazonInfo', other: 'com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo' };

/**
 * An instance as Eureka serves it.
 *
 * @example
 * toEurekaInstance(instance).port; // => { $: 8080, '@enabled': 'true' }
 */
export function toEurekaInstance(instance: Instance, actionType?: EurekaInstance['actionType']): EurekaInstance {
  const meta = instance.metadata;
  const securePort = meta[KEY.securePort] === undefined ? undefined : Number(meta[KEY.securePort]);
  const plainEnabled = instance.protocol !== 'https';
  const vips = instance.tags.filter((t) => t.startsWith('vip:')).map((t) => t.slice(4));
  const svips = instance.tags.filter((t) => t.startsWith('svip:')).map((t) => t.slice(5));
  const dataCenter = meta[KEY.dataCenter] ?? 'MyOwn';
  const amazon = dataCenter === 'Amazon';
  const leaseSeconds = instance.leaseSeconds ?? 0;
  const renewedAt = instance.leaseExpiresAtMs !== undefined ? instance.leaseExpiresAtMs - leaseSeconds * 1000 : instance.updatedAtMs;
  const { hostName, ipAddr } = addressesOf(instance);
  return {
    instanceId: instance.instanceId,
    hostName,
    app: appOf(instance.service),
    ipAddr,
    status: eurekaStatus(instance),
    overriddenStatus: overrideOf(meta) ?? 'UNKNOWN',
    port: { $: plainEnabled ? instance.port : 7001, '@enabled': plainEnabled ? 'true' : 'false' },
    securePort: { $: securePort ?? (plainEnabled ? 443 : instance.port), '@enabled': securePort !== undefined || !plainEnabled ? 'true' : 'false' },
    countryId: 1,
    dataCenterInfo: amazon
      ? {
          '@class': DATA_CENTER_CLASS.amazon,
          name: 'Amazon',
          metadata: { 'instance-id': instance.instanceId, ...(instance.zone && { 'availability-zone': instance.zone }) },
        }
      : { '@class': DATA_CENTER_CLASS.other, name: dataCenter },
    leaseInfo: {
      renewalIntervalInSecs: Math.max(1, Math.floor(leaseSeconds / 3)),
      durationInSecs: leaseSeconds,
      registrationTimestamp: instance.registeredAtMs,
      lastRenewalTimestamp: renewedAt,
      evictionTimestamp: 0,
      serviceUpTimestamp: instance.registeredAtMs,
    },
    metadata: Object.fromEntries(Object.entries(meta).filter(([key]) => !key.startsWith(RESERVED_PREFIX))),
    ...(meta[KEY.homePageUrl] && { homePageUrl: meta[KEY.homePageUrl] }),
    ...(meta[KEY.statusPageUrl] && { statusPageUrl: meta[KEY.statusPageUrl] }),
    ...(meta[KEY.healthCheckUrl] && { healthCheckUrl: meta[KEY.healthCheckUrl] }),
    vipAddress: vips.length > 0 ? vips.join(',') : instance.service,
    ...(svips.length > 0 && { secureVipAddress: svips.join(',') }),
    isCoordinatingDiscoveryServer: 'false',
    lastUpdatedTimestamp: String(instance.updatedAtMs),
    lastDirtyTimestamp: String(instance.updatedAtMs),
    ...(actionType && { actionType }),
  };
}

/** `hostName` and `ipAddr` of an instance: the address, and the other one when a Eureka client gave both. */
function addressesOf(instance: Instance): { hostName: string; ipAddr: string } {
  const byIp = isIP(instance.address) !== 0;
  return byIp
    ? { ipAddr: instance.address, hostName: instance.metadata[KEY.hostName] ?? instance.address }
    : { hostName: instance.address, ipAddr: instance.metadata[KEY.ipAddr] ?? instance.address };
}

/** Groups instances into applications, by service name order then instance id (a stable answer). */
export function toApplications(instances: readonly Instance[], actionOf?: (instance: Instance) => EurekaInstance['actionType']): EurekaApplication[] {
  const byService = new Map<string, EurekaInstance[]>();
  const sorted = [...instances].sort((a, b) => (a.service === b.service ? (a.instanceId < b.instanceId ? -1 : 1) : a.service < b.service ? -1 : 1));
  for (const instance of sorted) {
    const list = byService.get(instance.service) ?? [];
    list.push(toEurekaInstance(instance, actionOf?.(instance)));
    byService.set(instance.service, list);
  }
  return [...byService].map(([service, list]) => ({ name: appOf(service), instance: list }));
}

/**
 * The full registry document (`GET /apps`, `GET /vips/{vip}`), its hashcode over every instance it holds.
 *
 * @example
 * fullRegistry([]).applications; // => { versions__delta: '1', apps__hashcode: '', application: [] }
 */
export function fullRegistry(instances: readonly Instance[]): EurekaApplications {
  return {
    applications: {
      versions__delta: '1',
      apps__hashcode: reconcileHashCode(instances.map(eurekaStatus)),
      application: toApplications(instances),
    },
  };
}

/**
 * How long a change stays in the delta: Eureka's `retentionTimeInMSInDeltaQueue` default (3 minutes), which clients
 * fetching every 30 s (their default) cover several times over.
 */
export const DELTA_WINDOW_MS = 180_000;

/**
 * The delta document (`GET /apps/delta`): the instances registered (`ADDED`) or changed (`MODIFIED`) within
 * {@link DELTA_WINDOW_MS} of `nowMs`, with the hashcode of the FULL registry, as Eureka sends it. The registry keeps
 * no tombstones, so a deregistered or expired instance is not in the delta as `DELETED`: a client learns of it when
 * the hashcode of its copy differs from this one and it fetches the full registry (Eureka's own reconciliation,
 * which the Java client and Spring Cloud do; eureka-js-client does not reconcile, see the README).
 * `versions__delta` is constant: the registry has no global version counter, and clients reconcile by hashcode.
 */
export function delta(all: readonly Instance[], nowMs: number, windowMs = DELTA_WINDOW_MS): EurekaApplications {
  const since = nowMs - windowMs;
  const changed = all.filter((i) => i.updatedAtMs >= since);
  return {
    applications: {
      versions__delta: '1',
      apps__hashcode: reconcileHashCode(all.map(eurekaStatus)),
      application: toApplications(changed, (i) => (i.registeredAtMs >= since ? 'ADDED' : 'MODIFIED')),
    },
  };
}

// ── Reading the registry ──

/** What the Eureka reads need of the registry: its own use cases, so read scopes and expiry apply unchanged. */
export type RegistryReads = Pick<Registry, 'listServices' | 'discover'>;

/** Services read at once by {@link readAll}: one `Query` in flight each, well under the table's capacity. */
const READ_CONCURRENCY = 8;

/**
 * Every live instance the caller may read (optionally only those with `tag`), through the registry's own
 * `listServices` and `discover` (status `all`: Eureka shows DOWN and OUT_OF_SERVICE instances too, and clients
 * filter), {@link READ_CONCURRENCY} services at a time. Services whose counter says they are empty are skipped.
 */
export async function readAll(registry: RegistryReads, caller: Caller, tag?: string): Promise<Instance[]> {
  const out: Instance[] = [];
  let after: string | undefined;
  do {
    const page = await registry.listServices(caller, after, 1000);
    const services = page.services.filter((summary) => summary.total > 0).map((summary) => summary.service);
    const lists = await pMap(services, (service) => readService(registry, caller, service, tag), { concurrency: READ_CONCURRENCY });
    out.push(...lists.flat());
    after = page.cursor;
  } while (after !== undefined);
  return out;
}

/** Every live instance of one service (optionally only those with `tag`). */
export async function readService(registry: RegistryReads, caller: Caller, service: string, tag?: string): Promise<Instance[]> {
  const out: Instance[] = [];
  let cursor: string | undefined;
  do {
    const page = await registry.discover(caller, service, { status: 'all', tag: tag ? [tag] : [], limit: 1000, ...(cursor !== undefined && { cursor }) }, {});
    out.push(...page.instances);
    cursor = page.cursor;
  } while (cursor !== undefined);
  return out;
}
