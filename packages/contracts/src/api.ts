/**
 * The one source of truth for request and response shapes. The same zod schemas validate requests in the
 * handlers, generate the OpenAPI document (`lambdas/http/openapi.ts`) and validate answers in the client SDK; the
 * record types the domain uses are inferred from them.
 */
import { isIP } from 'node:net';
import * as z from 'zod';
import { DEFAULTS } from './defaults.js';

/** Lower-case DNS-label-like service name, at most 63 characters. */
export const serviceName = z
  .string()
  .regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, 'must be a lower-case DNS label: a-z, 0-9 and -, 1-63 chars, no leading/trailing -')
  .meta({ description: 'Service name (DNS-label-like)', example: 'orders' });

/** Instance id: 1-128 of `[A-Za-z0-9._:-]`. */
export const instanceId = z
  .string()
  .regex(/^[A-Za-z0-9._:-]{1,128}$/, 'must be 1-128 characters of A-Z a-z 0-9 . _ : -')
  .meta({ description: 'Instance id, unique within the service', example: 'orders-7f9c' });

const hostnamePattern = /^(?=.{1,253}$)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;

/**
 * A name whose last label is all digits (`10.2.0.256`, `1.2.3.4.5`, `4294967296`) or hex (`0x0a`) is not a
 * hostname: no top-level domain is numeric (RFC 3696 §2), and URL parsers and resolvers read such names as
 * (malformed) IPv4 numbers (WHATWG URL "ends in a number"), so the prober and clients could disagree on them.
 */
const numericLastLabel = /(?:^|\.)(?:\d+|0x[0-9a-f]*)\.?$/i;

/** An IPv4/IPv6 literal or an RFC 1123 hostname. Which addresses are *allowed* is decided by the address policy. */
export const address = z
  .string()
  .refine(
    (value) => isIP(value) !== 0 || (hostnamePattern.test(value) && !numericLastLabel.test(value)),
    'must be an IP address or a hostname (a hostname whose last label is a number is neither)',
  )
  .meta({ description: 'IP address or hostname the instance serves on', example: '10.0.3.17' });

export const protocol = z.enum(['http', 'https', 'tcp', 'grpc']);
export const instanceStatus = z.enum(['UP', 'DRAINING']);
export const healthState = z.enum(['passing', 'critical', 'unknown']);

const tag = z.string().min(1).max(128);
export const tags = z.array(tag).max(32, 'at most 32 tags');

const METADATA_MAX_BYTES = 4096;
export const metadata = z
  .record(z.string().min(1).max(128), z.string().max(1024))
  .refine((m) => Object.keys(m).length <= 32, 'at most 32 keys')
  .refine((m) => Buffer.byteLength(JSON.stringify(m)) <= METADATA_MAX_BYTES, `at most ${METADATA_MAX_BYTES} bytes as JSON`)
  .meta({ description: 'String map, at most 32 keys and 4 KB' });

export const weight = z.number().int().min(0).max(1000);

/** How the prober checks an instance. Defaults: {@link DEFAULTS}`.healthCheck`. */
export const healthCheck = z
  .strictObject({
    type: z.enum(['http', 'tcp']),
    path: z
      .string()
      .regex(/^\/[\x21-\x7e]*$/, "must start with '/' and contain only visible ASCII")
      .max(256)
      .optional(),
    intervalSeconds: z.number().int().min(1).max(3600).default(DEFAULTS.healthCheck.intervalSeconds),
    timeoutSeconds: z.number().int().min(1).max(60).default(DEFAULTS.healthCheck.timeoutSeconds),
    healthyThreshold: z.number().int().min(1).max(10).default(DEFAULTS.healthCheck.healthyThreshold),
    unhealthyThreshold: z.number().int().min(1).max(10).default(DEFAULTS.healthCheck.unhealthyThreshold),
    deregisterCriticalAfterSeconds: z
      .number()
      .int()
      .min(60)
      .max(7 * 86400)
      .default(DEFAULTS.healthCheck.deregisterCriticalAfterSeconds),
  })
  .transform((check) => (check.type === 'http' ? { ...check, path: check.path ?? DEFAULTS.healthCheck.path } : check))
  .meta({ id: 'HealthCheck' });

export const LEASE_MIN_SECONDS = 2;
export const LEASE_MAX_SECONDS = 86_400;
export const leaseSeconds = z.number().int().min(LEASE_MIN_SECONDS).max(LEASE_MAX_SECONDS);

/** Body of `PUT /v1/services/{service}/instances/{instanceId}`. */
export const registerBody = z
  .strictObject({
    address,
    port: z.number().int().min(1).max(65535),
    protocol: protocol.default(DEFAULTS.protocol),
    zone: z.string().min(1).max(64).optional(),
    weight: weight.default(DEFAULTS.weight),
    tags: tags.default([]),
    metadata: metadata.default({}),
    healthCheck: healthCheck.optional(),
    leaseSeconds: leaseSeconds.optional(),
    /** `DRAINING` registers the instance out of rotation from its first write (warm-up, Eureka's `STARTING`). */
    status: instanceStatus.default('UP').meta({ description: 'Start out of rotation with `DRAINING` (e.g. while warming up); `UP` by default' }),
  })
  .meta({ id: 'RegisterInstance' });

/** Body of `PATCH /v1/services/{service}/instances/{instanceId}`: at least one field. */
export const patchBody = z
  .strictObject({
    status: instanceStatus.optional(),
    weight: weight.optional(),
    metadata: metadata.optional(),
    tags: tags.optional(),
  })
  .refine((patch) => Object.values(patch).some((v) => v !== undefined), 'give at least one of status, weight, metadata, tags')
  .meta({ id: 'PatchInstance' });

export const instancePath = z.object({ service: serviceName, instanceId });
export const servicePath = z.object({ service: serviceName });

/** Query of discovery. `tag` is repeatable; `meta.<key>=<value>` filters are parsed separately (free keys). */
export const discoveryQuery = z.strictObject({
  status: z.enum(['healthy', 'all', 'healthy_or_else_all']).default('healthy'),
  zone: z.string().min(1).max(64).optional(),
  tag: z.array(tag).max(32).default([]),
  limit: z.coerce.number().int().min(1).max(1000).default(DEFAULTS.pageLimit),
  cursor: z.string().max(1024).optional(),
});

export const listServicesQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(1000).default(DEFAULTS.pageLimit),
  cursor: z.string().max(1024).optional(),
});

const isoTime = z.iso.datetime();

/** The instance as the API returns it. */
export const instanceRecord = z
  .object({
    service: serviceName,
    instanceId,
    address: z.string(),
    port: z.number().int(),
    protocol,
    zone: z.string().optional(),
    weight: z.number().int(),
    tags: z.array(z.string()),
    metadata: z.record(z.string(), z.string()),
    status: instanceStatus,
    health: healthState,
    healthCheck: healthCheck.optional(),
    leaseSeconds: z.number().int().optional(),
    leaseExpiresAt: isoTime.optional(),
    registeredAt: isoTime,
    updatedAt: isoTime,
    revision: z.number().int().min(1),
    /**
     * Present (true) only while the mass-failure guard protects leases: the lease ran out but the registry kept
     * the instance, because so many leases lapsed at once that the registry itself is the likelier fault. Health
     * reads `unknown`. Balancers route to such instances only when too few unmarked ones remain.
     */
    leaseExpired: z.literal(true).optional().meta({
      description: 'The lease ran out while the mass-failure guard was engaged; kept but marked (health unknown). Route here only as a last resort.',
    }),
  })
  .meta({ id: 'Instance' });

/** The mass-failure guard as readers see it: present in a discovery answer only while engaged. */
export const protectionStatus = z
  .object({
    engaged: z.literal(true),
    /** Lease expiries are frozen: expired instances are served, marked `leaseExpired`. */
    leases: z.boolean(),
    /** Probe failures mark nothing critical. */
    probes: z.boolean(),
    /** When the lease guard engaged while it is engaged (else when the guard's state last changed). */
    since: isoTime,
    /**
     * Present (true) when the read kept expired leases on its own judgment, before the prober's next round has
     * judged them: so many leases lapsed at once among the instances it read that the registry is the likelier
     * fault. The prober confirms it (then this flag goes) or not (then the expired ones go).
     */
    provisional: z.literal(true).optional().meta({
      description: 'The read kept expired leases on its own judgment, before the prober confirmed the lease guard.',
    }),
  })
  .meta({ id: 'ProtectionStatus' });

export const instanceList = z
  .object({
    service: serviceName,
    instances: z.array(instanceRecord),
    cursor: z.string().optional(),
    protection: protectionStatus.optional().meta({ description: 'Present while the mass-failure guard is engaged.' }),
  })
  .meta({ id: 'InstanceList' });

export const serviceSummary = z.object({ service: serviceName, total: z.number().int(), healthy: z.number().int() }).meta({ id: 'ServiceSummary' });

export const serviceList = z.object({ services: z.array(serviceSummary), cursor: z.string().optional() }).meta({ id: 'ServiceList' });

export const heartbeatResult = z
  .object({ service: serviceName, instanceId, leaseExpiresAt: isoTime, revision: z.number().int() })
  .meta({ id: 'HeartbeatResult' });

export const errorBody = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      details: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
    }),
  })
  .meta({ id: 'Error' });

// ── Bulk registration and heartbeats (`PUT /v1/services/{service}/instances`, `POST …/heartbeats`) ──

/** Most instances one bulk request may carry (register or heartbeat). */
export const BULK_MAX_ITEMS = 100;

/** Largest JSON body a write route accepts, in bytes (16 KB); the bulk registration accepts one per item. */
export const MAX_BODY_BYTES = 16 * 1024;

/** One instance of a bulk registration: its id and every field of {@link registerBody}, validated as one register's. */
export const registerInstancesItem = registerBody.extend({ instanceId });

/**
 * Renders {@link registerInstancesItem} for the OpenAPI document in place of the lenient envelope the route parses
 * with (`instanceId` only): a bad item is answered in its own result, so the request schema cannot refuse it, yet
 * the document must show what an item is. Sub-schemas zod puts under `$defs` (HealthCheck) are inlined: an OpenAPI
 * schema's `#/$defs/…` would resolve against the document root. Runs only when the document is generated.
 */
function documentAsRegisterItem(ctx: { jsonSchema: Record<string, unknown> }): void {
  const { $schema: _schema, $defs, ...item } = z.toJSONSchema(registerInstancesItem, { io: 'input' }) as Record<string, unknown>;
  const defs = ($defs ?? {}) as Record<string, unknown>;
  const inline = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(inline);
    if (!value || typeof value !== 'object') return value;
    const ref = (value as { $ref?: unknown }).$ref;
    if (typeof ref === 'string' && ref.startsWith('#/$defs/')) return inline(defs[ref.slice('#/$defs/'.length)]);
    return Object.fromEntries(Object.entries(value).map(([key, v]) => [key, inline(v)]));
  };
  for (const key of Object.keys(ctx.jsonSchema)) delete ctx.jsonSchema[key];
  Object.assign(ctx.jsonSchema, inline(item), {
    description: 'An instance to register: `instanceId` and the fields of `RegisterInstance`. Validated on its own: a bad item is a 400 in its result',
  });
}

/**
 * Body of `PUT /v1/services/{service}/instances`: 1-100 instances with distinct ids. Only the envelope and each
 * `instanceId` are checked here (a problem there is a 400 for the whole request, and nothing is written); each item's
 * other fields are checked with {@link registerInstancesItem} one by one, so one bad item does not stop the others.
 */
export const registerInstancesBody = z
  .strictObject({
    instances: z
      .array(z.looseObject({ instanceId }).meta({ override: documentAsRegisterItem }))
      .min(1, 'give at least one instance')
      .max(BULK_MAX_ITEMS, `at most ${BULK_MAX_ITEMS} instances per request`),
  })
  .superRefine((body, ctx) =>
    duplicateIds(
      body.instances.map((item) => item.instanceId),
      ['instances'],
      ctx,
    ),
  )
  .meta({ id: 'RegisterInstances' });

/** Body of `POST /v1/services/{service}/heartbeats`: 1-100 distinct instance ids of the service, each renewed. */
export const heartbeatInstancesBody = z
  .strictObject({
    instanceIds: z.array(instanceId).min(1, 'give at least one instance id').max(BULK_MAX_ITEMS, `at most ${BULK_MAX_ITEMS} instance ids per request`),
  })
  .superRefine((body, ctx) => duplicateIds(body.instanceIds, ['instanceIds'], ctx))
  .meta({ id: 'HeartbeatInstances' });

/**
 * Refuses an id given twice: the items of one request are written concurrently, each as its own conditional write,
 * so two for one instance would race each other.
 */
function duplicateIds(ids: readonly string[], path: (string | number)[], ctx: z.RefinementCtx): void {
  const seen = new Set<string>();
  for (const [index, id] of ids.entries()) {
    if (seen.has(id)) ctx.addIssue({ code: 'custom', path: [...path, index], message: `instance id '${id}' is given more than once` });
    seen.add(id);
  }
}

/** An item's failure, in the error shape of a single request's (`Error.error`). */
const itemError = errorBody.shape.error;

/**
 * One item's outcome: 201 created or 200 replaced with the instance, or the status and error a single register
 * would have answered (400 bad item or refused address, 403 someone else's instance, 500 the write failed: retry it).
 */
export const registerInstancesResult = z
  .union([
    z.object({ instanceId, status: z.literal([200, 201]), instance: instanceRecord }),
    z.object({ instanceId, status: z.literal([400, 403, 404, 409, 500]), error: itemError }),
  ])
  .meta({ id: 'RegisterInstancesResult' });

/** The answer of a bulk registration: one result per item, in the order given. */
export const registerInstancesResults = z.object({ service: serviceName, results: z.array(registerInstancesResult) }).meta({ id: 'RegisterInstancesResults' });

/**
 * One heartbeat's outcome: 200 renewed (the lease's new expiry and the revision), or the status and error a single
 * heartbeat would have answered (404 gone or expired: register again; 403 someone else's; 409 probe-driven; 500 retry).
 */
export const heartbeatInstancesResult = z
  .union([
    z.object({ instanceId, status: z.literal(200), leaseExpiresAt: isoTime, revision: z.number().int() }),
    z.object({ instanceId, status: z.literal([400, 403, 404, 409, 500]), error: itemError }),
  ])
  .meta({ id: 'HeartbeatInstancesResult' });

/** The answer of a bulk heartbeat: one result per id, in the order given. */
export const heartbeatInstancesResults = z
  .object({ service: serviceName, results: z.array(heartbeatInstancesResult) })
  .meta({ id: 'HeartbeatInstancesResults' });

export type RegisterBody = z.output<typeof registerBody>;
export type PatchBody = z.output<typeof patchBody>;
export type DiscoveryQuery = z.output<typeof discoveryQuery>;
export type InstanceRecord = z.output<typeof instanceRecord>;
export type ProtectionStatus = z.output<typeof protectionStatus>;
export type HealthCheck = z.output<typeof healthCheck>;
export type ServiceSummary = z.output<typeof serviceSummary>;
export type HealthState = z.output<typeof healthState>;
export type InstanceStatus = z.output<typeof instanceStatus>;
export type RegisterInstancesItem = z.output<typeof registerInstancesItem>;
export type RegisterInstancesBody = z.output<typeof registerInstancesBody>;
export type RegisterInstancesResult = z.output<typeof registerInstancesResult>;
export type HeartbeatInstancesResult = z.output<typeof heartbeatInstancesResult>;

// ── Bearer tokens ──

/** A bearer token's public id: 16 lower-case hex digits (the `<tokenId>` of `srt_<tokenId>_<secret>`). */
export const tokenId = z
  .string()
  .regex(/^[0-9a-f]{16}$/, 'must be 16 lower-case hex digits')
  .meta({ description: 'Bearer token id (public; the secret is never stored)', example: '3f2a9c0b7d1e4a56' });

/** A service a token may write or read, or `*` for every service. */
const tokenScope = z.array(z.union([z.literal('*'), serviceName])).max(100, 'at most 100 services');

/** At most ten years; at least a minute. */
export const TOKEN_MAX_EXPIRY_SECONDS = 10 * 365 * 86_400;

/**
 * Body of `POST /v1/tokens`: scoped like the local auth file. `services` may be written (none: read-only), `read`
 * may be discovered, got and followed (default: `services`), `admin` may do anything (manage tokens too).
 */
export const createTokenBody = z
  .strictObject({
    principal: z.string().min(1).max(256).meta({ description: 'Who the token acts as: the owner stored on the instances it registers', example: 'prometheus' }),
    services: tokenScope.default([]).meta({ description: 'Services the token may write; empty for a read-only token' }),
    read: tokenScope.optional().meta({ description: 'Services the token may read; defaults to `services`' }),
    admin: z.boolean().default(false),
    expiresInSeconds: z
      .number()
      .int()
      .min(60)
      .max(TOKEN_MAX_EXPIRY_SECONDS)
      .optional()
      .meta({ description: 'Lifetime; without it the token lasts until revoked' }),
  })
  .meta({ id: 'CreateToken' });

/** A bearer token as listed: its scope and provenance, never its secret. */
export const tokenRecord = z
  .object({
    tokenId,
    principal: z.string(),
    services: z.array(z.string()),
    read: z.array(z.string()),
    admin: z.boolean(),
    createdAt: isoTime,
    createdBy: z.string(),
    expiresAt: isoTime.optional(),
  })
  .meta({ id: 'Token' });

/** The answer of `POST /v1/tokens`: the token and its secret, shown this once (only its SHA-256 is stored). */
export const createdToken = tokenRecord
  .extend({
    secret: z
      .string()
      .regex(/^srt_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/)
      .meta({
        description: 'Send as `Authorization: Bearer <secret>`. Shown once: it cannot be read again',
        example: 'srt_3f2a9c0b7d1e4a56_q0NnX4tV8m2Lr7KcP1wZs9Hd3Fj6Gb5Ya0Ue8Io2Qx4',
      }),
  })
  .meta({ id: 'CreatedToken' });

export const tokenList = z.object({ tokens: z.array(tokenRecord) }).meta({ id: 'TokenList' });

export const tokenPath = z.object({ tokenId });

export type CreateTokenBody = z.output<typeof createTokenBody>;
export type TokenRecord = z.output<typeof tokenRecord>;
export type CreatedToken = z.output<typeof createdToken>;

// ── Change history (`GET /v1/services/{service}/history`) ──

/** A duration back from now: a number and a unit (`30s`, `30m`, `1h`, `7d`). */
export const HISTORY_SINCE_DURATION = /^(\d{1,7})([smhd])$/;
export const HISTORY_MAX_LIMIT = 1000;

/**
 * Query of the change history. `since` is an ISO 8601 time or a duration back from now (`30m`, `1h`, `7d`); only
 * changes at or after it are returned.
 */
export const historyQuery = z.strictObject({
  instanceId: instanceId.optional(),
  since: z
    .string()
    .max(64)
    .refine(
      (value) => HISTORY_SINCE_DURATION.test(value) || isoTime.safeParse(value).success,
      'must be an ISO 8601 time (2026-01-01T00:00:00Z) or a duration back from now: 30s, 30m, 1h, 7d',
    )
    .optional()
    .meta({ description: 'Only changes at or after this time: ISO 8601, or a duration back from now (`30m`, `1h`, `7d`)', example: '1h' }),
  limit: z.coerce.number().int().min(1).max(HISTORY_MAX_LIMIT).default(DEFAULTS.pageLimit),
  cursor: z.string().max(1024).optional().meta({ description: 'Opaque: the `cursor` of the previous page' }),
});

/**
 * One change as the history keeps it: the change event's identity and classification, and who made it. `principal`
 * is the caller for API writes (an admin draining someone else's instance is the admin), `registry:prober` for a
 * health mark, `registry:sweeper` for the removal of an expired lease or a too-long-critical instance, and
 * `registry:ttl` for a DynamoDB TTL deletion.
 */
export const historyEntry = z
  .object({
    service: serviceName,
    instanceId,
    revision: z.number().int().meta({ description: "The change event's revision (a removal's is the last revision + 1)" }),
    detailType: z.string().meta({ description: "The change event's detail-type, e.g. `Instance Updated`", example: 'Instance Updated' }),
    changed: z.array(z.string()).meta({ description: 'Fields the change touched (updates only)', example: ['status'] }),
    reason: z.string().meta({ description: "The change event's reason, e.g. `patched`, `lease-expired`", example: 'patched' }),
    principal: z.string().meta({ description: 'Who made the change', example: 'arn:aws:iam::123456789012:role/platform-admin' }),
    time: isoTime,
  })
  .meta({ id: 'HistoryEntry' });

export const historyPage = z.object({ service: serviceName, entries: z.array(historyEntry), cursor: z.string().optional() }).meta({ id: 'HistoryPage' });

export type HistoryQuery = z.output<typeof historyQuery>;
export type HistoryEntry = z.output<typeof historyEntry>;
export type HistoryPage = z.output<typeof historyPage>;
