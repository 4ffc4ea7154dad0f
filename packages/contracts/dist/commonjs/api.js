"use strict";
var __createBinding = (this && this.__createBinding) || (Object.create ? (function(o, m, k, k2) {
    if (k2 === undefined) k2 = k;
    var desc = Object.getOwnPropertyDescriptor(m, k);
    if (!desc || ("get" in desc ? !m.__esModule : desc.writable || desc.configurable)) {
      desc = { enumerable: true, get: function() { return m[k]; } };
    }
    Object.defineProperty(o, k2, desc);
}) : (function(o, m, k, k2) {
    if (k2 === undefined) k2 = k;
    o[k2] = m[k];
}));
var __setModuleDefault = (this && this.__setModuleDefault) || (Object.create ? (function(o, v) {
    Object.defineProperty(o, "default", { enumerable: true, value: v });
}) : function(o, v) {
    o["default"] = v;
});
var __importStar = (this && this.__importStar) || (function () {
    var ownKeys = function(o) {
        ownKeys = Object.getOwnPropertyNames || function (o) {
            var ar = [];
            for (var k in o) if (Object.prototype.hasOwnProperty.call(o, k)) ar[ar.length] = k;
            return ar;
        };
        return ownKeys(o);
    };
    return function (mod) {
        if (mod && mod.__esModule) return mod;
        var result = {};
        if (mod != null) for (var k = ownKeys(mod), i = 0; i < k.length; i++) if (k[i] !== "default") __createBinding(result, mod, k[i]);
        __setModuleDefault(result, mod);
        return result;
    };
})();
Object.defineProperty(exports, "__esModule", { value: true });
exports.errorBody = exports.heartbeatResult = exports.serviceList = exports.serviceSummary = exports.instanceList = exports.protectionStatus = exports.instanceRecord = exports.listServicesQuery = exports.discoveryQuery = exports.servicePath = exports.instancePath = exports.patchBody = exports.registerBody = exports.leaseSeconds = exports.LEASE_MAX_SECONDS = exports.LEASE_MIN_SECONDS = exports.healthCheck = exports.weight = exports.metadata = exports.tags = exports.healthState = exports.instanceStatus = exports.protocol = exports.address = exports.instanceId = exports.serviceName = void 0;
/**
 * The one source of truth for request and response shapes. The same zod schemas validate requests in the
 * handlers, generate the OpenAPI document (`lambdas/http/openapi.ts`) and validate answers in the client SDK; the
 * record types the domain uses are inferred from them.
 */
const node_net_1 = require("node:net");
const z = __importStar(require("zod"));
/** Lower-case DNS-label-like service name, at most 63 characters. */
exports.serviceName = z
    .string()
    .regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, 'must be a lower-case DNS label: a-z, 0-9 and -, 1-63 chars, no leading/trailing -')
    .meta({ description: 'Service name (DNS-label-like)', example: 'orders' });
/** Instance id: 1-128 of `[A-Za-z0-9._:-]`. */
exports.instanceId = z
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
exports.address = z
    .string()
    .refine((value) => (0, node_net_1.isIP)(value) !== 0 || (hostnamePattern.test(value) && !numericLastLabel.test(value)), 'must be an IP address or a hostname (a hostname whose last label is a number is neither)')
    .meta({ description: 'IP address or hostname the instance serves on', example: '10.0.3.17' });
exports.protocol = z.enum(['http', 'https', 'tcp', 'grpc']);
exports.instanceStatus = z.enum(['UP', 'DRAINING']);
exports.healthState = z.enum(['passing', 'critical', 'unknown']);
const tag = z.string().min(1).max(128);
exports.tags = z.array(tag).max(32, 'at most 32 tags');
const METADATA_MAX_BYTES = 4096;
exports.metadata = z
    .record(z.string().min(1).max(128), z.string().max(1024))
    .refine((m) => Object.keys(m).length <= 32, 'at most 32 keys')
    .refine((m) => Buffer.byteLength(JSON.stringify(m)) <= METADATA_MAX_BYTES, `at most ${METADATA_MAX_BYTES} bytes as JSON`)
    .meta({ description: 'String map, at most 32 keys and 4 KB' });
exports.weight = z.number().int().min(0).max(1000);
/** How the prober checks an instance. Defaults match the health-checking design. */
exports.healthCheck = z
    .strictObject({
    type: z.enum(['http', 'tcp']),
    path: z
        .string()
        .regex(/^\/[\x21-\x7e]*$/, "must start with '/' and contain only visible ASCII")
        .max(256)
        .optional(),
    intervalSeconds: z.number().int().min(1).max(3600).default(10),
    timeoutSeconds: z.number().int().min(1).max(60).default(2),
    healthyThreshold: z.number().int().min(1).max(10).default(2),
    unhealthyThreshold: z.number().int().min(1).max(10).default(3),
    deregisterCriticalAfterSeconds: z.number().int().min(60).max(7 * 86400).default(600),
})
    .transform((check) => (check.type === 'http' ? { ...check, path: check.path ?? '/health' } : check))
    .meta({ id: 'HealthCheck' });
exports.LEASE_MIN_SECONDS = 2;
exports.LEASE_MAX_SECONDS = 86_400;
exports.leaseSeconds = z.number().int().min(exports.LEASE_MIN_SECONDS).max(exports.LEASE_MAX_SECONDS);
/** Body of `PUT /v1/services/{service}/instances/{instanceId}`. */
exports.registerBody = z
    .strictObject({
    address: exports.address,
    port: z.number().int().min(1).max(65535),
    protocol: exports.protocol.default('http'),
    zone: z.string().min(1).max(64).optional(),
    weight: exports.weight.default(100),
    tags: exports.tags.default([]),
    metadata: exports.metadata.default({}),
    healthCheck: exports.healthCheck.optional(),
    leaseSeconds: exports.leaseSeconds.optional(),
})
    .meta({ id: 'RegisterInstance' });
/** Body of `PATCH /v1/services/{service}/instances/{instanceId}`: at least one field. */
exports.patchBody = z
    .strictObject({
    status: exports.instanceStatus.optional(),
    weight: exports.weight.optional(),
    metadata: exports.metadata.optional(),
    tags: exports.tags.optional(),
})
    .refine((patch) => Object.values(patch).some((v) => v !== undefined), 'give at least one of status, weight, metadata, tags')
    .meta({ id: 'PatchInstance' });
exports.instancePath = z.object({ service: exports.serviceName, instanceId: exports.instanceId });
exports.servicePath = z.object({ service: exports.serviceName });
/** Query of discovery. `tag` is repeatable; `meta.<key>=<value>` filters are parsed separately (free keys). */
exports.discoveryQuery = z.strictObject({
    status: z.enum(['healthy', 'all', 'healthy_or_else_all']).default('healthy'),
    zone: z.string().min(1).max(64).optional(),
    tag: z.array(tag).max(32).default([]),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    cursor: z.string().max(1024).optional(),
});
exports.listServicesQuery = z.strictObject({
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    cursor: z.string().max(1024).optional(),
});
const isoTime = z.iso.datetime();
/** The instance as the API returns it. */
exports.instanceRecord = z
    .object({
    service: exports.serviceName,
    instanceId: exports.instanceId,
    address: z.string(),
    port: z.number().int(),
    protocol: exports.protocol,
    zone: z.string().optional(),
    weight: z.number().int(),
    tags: z.array(z.string()),
    metadata: z.record(z.string(), z.string()),
    status: exports.instanceStatus,
    health: exports.healthState,
    healthCheck: exports.healthCheck.optional(),
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
exports.protectionStatus = z
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
exports.instanceList = z
    .object({
    service: exports.serviceName,
    instances: z.array(exports.instanceRecord),
    cursor: z.string().optional(),
    protection: exports.protectionStatus.optional().meta({ description: 'Present while the mass-failure guard is engaged.' }),
})
    .meta({ id: 'InstanceList' });
exports.serviceSummary = z
    .object({ service: exports.serviceName, total: z.number().int(), healthy: z.number().int() })
    .meta({ id: 'ServiceSummary' });
exports.serviceList = z
    .object({ services: z.array(exports.serviceSummary), cursor: z.string().optional() })
    .meta({ id: 'ServiceList' });
exports.heartbeatResult = z
    .object({ service: exports.serviceName, instanceId: exports.instanceId, leaseExpiresAt: isoTime, revision: z.number().int() })
    .meta({ id: 'HeartbeatResult' });
exports.errorBody = z
    .object({
    error: z.object({
        code: z.string(),
        message: z.string(),
        details: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
    }),
})
    .meta({ id: 'Error' });
