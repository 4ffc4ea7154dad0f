/**
 * The change-event contract: detail-types and the `detail` schemas, the one source for the publisher, the client
 * SDK and the JSON Schema files in `contracts/events/`. Subscribers apply an event only if its `revision` is newer than what they hold for that instance: events are
 * published in order per instance, but delivered at least once and possibly out of order (EventBridge → SQS
 * standard keeps no order).
 */
import * as z from 'zod';
export declare const EVENT_SCHEMA_VERSION = "1.0";
export declare const DETAIL_TYPES: readonly ["Instance Registered", "Instance Updated", "Instance Health Changed", "Instance Deregistered", "Instance Expired", "Registry Protection Engaged", "Registry Protection Released", "Registry Resync Required"];
export type DetailType = (typeof DETAIL_TYPES)[number];
/** Fields of an instance whose change is an `Instance Updated` (health alone is `Instance Health Changed`). */
export declare const UPDATE_FIELDS: readonly ["address", "port", "protocol", "zone", "weight", "tags", "metadata", "status", "healthCheck", "leaseSeconds"];
/** Fields an instance event's `changed` may list. */
export declare const CHANGEABLE: readonly ["address", "port", "protocol", "zone", "weight", "tags", "metadata", "status", "healthCheck", "leaseSeconds", "health"];
export declare const changeReason: z.ZodEnum<{
    registered: "registered";
    replaced: "replaced";
    patched: "patched";
    "health-check": "health-check";
    deregistered: "deregistered";
    "lease-expired": "lease-expired";
    "critical-too-long": "critical-too-long";
    ttl: "ttl";
}>;
/** `detail` of every instance event. */
export declare const instanceEventDetail: z.ZodObject<{
    schemaVersion: z.ZodLiteral<"1.0">;
    eventId: z.ZodString;
    service: z.ZodString;
    instanceId: z.ZodString;
    revision: z.ZodNumber;
    instance: z.ZodNullable<z.ZodObject<{
        service: z.ZodString;
        instanceId: z.ZodString;
        address: z.ZodString;
        port: z.ZodNumber;
        protocol: z.ZodEnum<{
            http: "http";
            https: "https";
            tcp: "tcp";
            grpc: "grpc";
        }>;
        zone: z.ZodOptional<z.ZodString>;
        weight: z.ZodNumber;
        tags: z.ZodArray<z.ZodString>;
        metadata: z.ZodRecord<z.ZodString, z.ZodString>;
        status: z.ZodEnum<{
            UP: "UP";
            DRAINING: "DRAINING";
        }>;
        health: z.ZodEnum<{
            unknown: "unknown";
            passing: "passing";
            critical: "critical";
        }>;
        healthCheck: z.ZodOptional<z.ZodPipe<z.ZodObject<{
            type: z.ZodEnum<{
                http: "http";
                tcp: "tcp";
            }>;
            path: z.ZodOptional<z.ZodString>;
            intervalSeconds: z.ZodDefault<z.ZodNumber>;
            timeoutSeconds: z.ZodDefault<z.ZodNumber>;
            healthyThreshold: z.ZodDefault<z.ZodNumber>;
            unhealthyThreshold: z.ZodDefault<z.ZodNumber>;
            deregisterCriticalAfterSeconds: z.ZodDefault<z.ZodNumber>;
        }, z.core.$strict>, z.ZodTransform<{
            type: "http" | "tcp";
            intervalSeconds: number;
            timeoutSeconds: number;
            healthyThreshold: number;
            unhealthyThreshold: number;
            deregisterCriticalAfterSeconds: number;
            path?: string | undefined;
        }, {
            type: "http" | "tcp";
            intervalSeconds: number;
            timeoutSeconds: number;
            healthyThreshold: number;
            unhealthyThreshold: number;
            deregisterCriticalAfterSeconds: number;
            path?: string | undefined;
        }>>>;
        leaseSeconds: z.ZodOptional<z.ZodNumber>;
        leaseExpiresAt: z.ZodOptional<z.ZodISODateTime>;
        registeredAt: z.ZodISODateTime;
        updatedAt: z.ZodISODateTime;
        revision: z.ZodNumber;
        leaseExpired: z.ZodOptional<z.ZodLiteral<true>>;
    }, z.core.$strip>>;
    changed: z.ZodArray<z.ZodEnum<{
        metadata: "metadata";
        protocol: "protocol";
        address: "address";
        port: "port";
        zone: "zone";
        weight: "weight";
        tags: "tags";
        healthCheck: "healthCheck";
        leaseSeconds: "leaseSeconds";
        status: "status";
        health: "health";
    }>>;
    reason: z.ZodEnum<{
        registered: "registered";
        replaced: "replaced";
        patched: "patched";
        "health-check": "health-check";
        deregistered: "deregistered";
        "lease-expired": "lease-expired";
        "critical-too-long": "critical-too-long";
        ttl: "ttl";
    }>;
    time: z.ZodISODateTime;
}, z.core.$strip>;
/**
 * `detail` of the mass-failure guard's events. Each prober shard has a guard of its own, judging only its own
 * services: `shard` says which (a service's shard is `shardOf(service, shards)` with the prober's shard count).
 */
export declare const protectionEventDetail: z.ZodObject<{
    schemaVersion: z.ZodLiteral<"1.0">;
    eventId: z.ZodString;
    shard: z.ZodOptional<z.ZodNumber>;
    engaged: z.ZodBoolean;
    probeEngaged: z.ZodBoolean;
    leaseEngaged: z.ZodBoolean;
    failedTargets: z.ZodNumber;
    probedTargets: z.ZodNumber;
    expiredLeases: z.ZodNumber;
    leasedInstances: z.ZodNumber;
    time: z.ZodISODateTime;
}, z.core.$strip>;
/**
 * `detail` of `Registry Resync Required`: events of these services could not be published and may be delayed or,
 * once the event source gives up on them, lost. A subscriber holding any of these services reloads them from
 * discovery (events that arrive later are then older than what it holds, and ignored by revision).
 */
export declare const resyncEventDetail: z.ZodObject<{
    schemaVersion: z.ZodLiteral<"1.0">;
    eventId: z.ZodString;
    services: z.ZodArray<z.ZodString>;
    reason: z.ZodEnum<{
        "publish-failed": "publish-failed";
    }>;
    time: z.ZodISODateTime;
}, z.core.$strip>;
export type InstanceEventDetail = z.output<typeof instanceEventDetail>;
export type ProtectionEventDetail = z.output<typeof protectionEventDetail>;
export type ResyncEventDetail = z.output<typeof resyncEventDetail>;
