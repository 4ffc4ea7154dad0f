import * as z from 'zod';
/** Lower-case DNS-label-like service name, at most 63 characters. */
export declare const serviceName: z.ZodString;
/** Instance id: 1-128 of `[A-Za-z0-9._:-]`. */
export declare const instanceId: z.ZodString;
/** An IPv4/IPv6 literal or an RFC 1123 hostname. Which addresses are *allowed* is decided by the address policy. */
export declare const address: z.ZodString;
export declare const protocol: z.ZodEnum<{
    http: "http";
    https: "https";
    tcp: "tcp";
    grpc: "grpc";
}>;
export declare const instanceStatus: z.ZodEnum<{
    UP: "UP";
    DRAINING: "DRAINING";
}>;
export declare const healthState: z.ZodEnum<{
    unknown: "unknown";
    passing: "passing";
    critical: "critical";
}>;
export declare const tags: z.ZodArray<z.ZodString>;
export declare const metadata: z.ZodRecord<z.ZodString, z.ZodString>;
export declare const weight: z.ZodNumber;
/** How the prober checks an instance. Defaults match the health-checking design. */
export declare const healthCheck: z.ZodPipe<z.ZodObject<{
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
}>>;
export declare const LEASE_MIN_SECONDS = 2;
export declare const LEASE_MAX_SECONDS = 86400;
export declare const leaseSeconds: z.ZodNumber;
/** Body of `PUT /v1/services/{service}/instances/{instanceId}`. */
export declare const registerBody: z.ZodObject<{
    address: z.ZodString;
    port: z.ZodNumber;
    protocol: z.ZodDefault<z.ZodEnum<{
        http: "http";
        https: "https";
        tcp: "tcp";
        grpc: "grpc";
    }>>;
    zone: z.ZodOptional<z.ZodString>;
    weight: z.ZodDefault<z.ZodNumber>;
    tags: z.ZodDefault<z.ZodArray<z.ZodString>>;
    metadata: z.ZodDefault<z.ZodRecord<z.ZodString, z.ZodString>>;
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
}, z.core.$strict>;
/** Body of `PATCH /v1/services/{service}/instances/{instanceId}`: at least one field. */
export declare const patchBody: z.ZodObject<{
    status: z.ZodOptional<z.ZodEnum<{
        UP: "UP";
        DRAINING: "DRAINING";
    }>>;
    weight: z.ZodOptional<z.ZodNumber>;
    metadata: z.ZodOptional<z.ZodRecord<z.ZodString, z.ZodString>>;
    tags: z.ZodOptional<z.ZodArray<z.ZodString>>;
}, z.core.$strict>;
export declare const instancePath: z.ZodObject<{
    service: z.ZodString;
    instanceId: z.ZodString;
}, z.core.$strip>;
export declare const servicePath: z.ZodObject<{
    service: z.ZodString;
}, z.core.$strip>;
/** Query of discovery. `tag` is repeatable; `meta.<key>=<value>` filters are parsed separately (free keys). */
export declare const discoveryQuery: z.ZodObject<{
    status: z.ZodDefault<z.ZodEnum<{
        healthy: "healthy";
        all: "all";
        healthy_or_else_all: "healthy_or_else_all";
    }>>;
    zone: z.ZodOptional<z.ZodString>;
    tag: z.ZodDefault<z.ZodArray<z.ZodString>>;
    limit: z.ZodDefault<z.ZodCoercedNumber<unknown>>;
    cursor: z.ZodOptional<z.ZodString>;
}, z.core.$strict>;
export declare const listServicesQuery: z.ZodObject<{
    limit: z.ZodDefault<z.ZodCoercedNumber<unknown>>;
    cursor: z.ZodOptional<z.ZodString>;
}, z.core.$strict>;
/** The instance as the API returns it. */
export declare const instanceRecord: z.ZodObject<{
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
}, z.core.$strip>;
/** The mass-failure guard as readers see it: present in a discovery answer only while engaged. */
export declare const protectionStatus: z.ZodObject<{
    engaged: z.ZodLiteral<true>;
    leases: z.ZodBoolean;
    probes: z.ZodBoolean;
    since: z.ZodISODateTime;
    provisional: z.ZodOptional<z.ZodLiteral<true>>;
}, z.core.$strip>;
export declare const instanceList: z.ZodObject<{
    service: z.ZodString;
    instances: z.ZodArray<z.ZodObject<{
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
    cursor: z.ZodOptional<z.ZodString>;
    protection: z.ZodOptional<z.ZodObject<{
        engaged: z.ZodLiteral<true>;
        leases: z.ZodBoolean;
        probes: z.ZodBoolean;
        since: z.ZodISODateTime;
        provisional: z.ZodOptional<z.ZodLiteral<true>>;
    }, z.core.$strip>>;
}, z.core.$strip>;
export declare const serviceSummary: z.ZodObject<{
    service: z.ZodString;
    total: z.ZodNumber;
    healthy: z.ZodNumber;
}, z.core.$strip>;
export declare const serviceList: z.ZodObject<{
    services: z.ZodArray<z.ZodObject<{
        service: z.ZodString;
        total: z.ZodNumber;
        healthy: z.ZodNumber;
    }, z.core.$strip>>;
    cursor: z.ZodOptional<z.ZodString>;
}, z.core.$strip>;
export declare const heartbeatResult: z.ZodObject<{
    service: z.ZodString;
    instanceId: z.ZodString;
    leaseExpiresAt: z.ZodISODateTime;
    revision: z.ZodNumber;
}, z.core.$strip>;
export declare const errorBody: z.ZodObject<{
    error: z.ZodObject<{
        code: z.ZodString;
        message: z.ZodString;
        details: z.ZodOptional<z.ZodArray<z.ZodObject<{
            field: z.ZodString;
            message: z.ZodString;
        }, z.core.$strip>>>;
    }, z.core.$strip>;
}, z.core.$strip>;
export type RegisterBody = z.output<typeof registerBody>;
export type PatchBody = z.output<typeof patchBody>;
export type DiscoveryQuery = z.output<typeof discoveryQuery>;
export type InstanceRecord = z.output<typeof instanceRecord>;
export type ProtectionStatus = z.output<typeof protectionStatus>;
export type HealthCheck = z.output<typeof healthCheck>;
export type ServiceSummary = z.output<typeof serviceSummary>;
export type HealthState = z.output<typeof healthState>;
export type InstanceStatus = z.output<typeof instanceStatus>;
