/**
 * JSON Schemas of the change events, generated from the same zod schemas the publisher and the SDK use.
 * `npm run contracts` writes them to `contracts/events/`; the frozen `contracts/events/v1/` copy is the published
 * baseline that a test holds every later version to (no breaking change without a new major version).
 */
import * as z from 'zod';
import { type DetailType } from './events.js';
/** File name of a detail-type's schema: `Instance Registered` → `instance-registered.schema.json`. */
export declare function contractFile(detailType: DetailType): string;
/** The EventBridge envelope of one detail-type, with its `detail` schema. */
export declare function eventSchema(detailType: DetailType, source?: string): {
    "~standard": z.core.ZodStandardSchemaWithJSON<z.ZodObject<{
        version: z.ZodString;
        id: z.ZodString;
        'detail-type': z.ZodLiteral<"Instance Registered" | "Instance Updated" | "Instance Health Changed" | "Instance Deregistered" | "Instance Expired" | "Registry Protection Engaged" | "Registry Protection Released" | "Registry Resync Required">;
        source: z.ZodString;
        account: z.ZodString;
        time: z.ZodString;
        region: z.ZodString;
        resources: z.ZodArray<z.ZodString>;
        detail: z.ZodObject<{
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
        }, z.core.$strip> | z.ZodObject<{
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
        }, z.core.$strip> | z.ZodObject<{
            schemaVersion: z.ZodLiteral<"1.0">;
            eventId: z.ZodString;
            services: z.ZodArray<z.ZodString>;
            reason: z.ZodEnum<{
                "publish-failed": "publish-failed";
            }>;
            time: z.ZodISODateTime;
        }, z.core.$strip>;
    }, z.core.$strip>>;
    $schema?: "https://json-schema.org/draft/2020-12/schema" | "http://json-schema.org/draft-07/schema#" | "http://json-schema.org/draft-04/schema#";
    $id: string;
    $anchor?: string;
    $ref?: string;
    $dynamicRef?: string;
    $dynamicAnchor?: string;
    $vocabulary?: Record<string, boolean>;
    $comment?: string;
    $defs?: Record<string, z.core.JSONSchema.JSONSchema>;
    type?: z.core.JSONSchema.SchemaType | z.core.JSONSchema.SchemaType[];
    additionalItems?: z.core.JSONSchema._JSONSchema;
    unevaluatedItems?: z.core.JSONSchema._JSONSchema;
    prefixItems?: z.core.JSONSchema._JSONSchema[];
    items?: z.core.JSONSchema._JSONSchema | z.core.JSONSchema._JSONSchema[];
    contains?: z.core.JSONSchema._JSONSchema;
    additionalProperties?: z.core.JSONSchema._JSONSchema;
    unevaluatedProperties?: z.core.JSONSchema._JSONSchema;
    properties?: Record<string, z.core.JSONSchema._JSONSchema>;
    patternProperties?: Record<string, z.core.JSONSchema._JSONSchema>;
    dependentSchemas?: Record<string, z.core.JSONSchema._JSONSchema>;
    propertyNames?: z.core.JSONSchema._JSONSchema;
    if?: z.core.JSONSchema._JSONSchema;
    then?: z.core.JSONSchema._JSONSchema;
    else?: z.core.JSONSchema._JSONSchema;
    allOf?: z.core.JSONSchema.JSONSchema[];
    anyOf?: z.core.JSONSchema.JSONSchema[];
    oneOf?: z.core.JSONSchema.JSONSchema[];
    not?: z.core.JSONSchema._JSONSchema;
    multipleOf?: number;
    maximum?: number;
    exclusiveMaximum?: number | boolean;
    minimum?: number;
    exclusiveMinimum?: number | boolean;
    maxLength?: number;
    minLength?: number;
    pattern?: string;
    maxItems?: number;
    minItems?: number;
    uniqueItems?: boolean;
    maxContains?: number;
    minContains?: number;
    maxProperties?: number;
    minProperties?: number;
    required?: string[];
    dependentRequired?: Record<string, string[]>;
    enum?: Array<string | number | boolean | null>;
    const?: string | number | boolean | null;
    id?: string;
    title: string;
    description?: string;
    default?: unknown;
    deprecated?: boolean;
    readOnly?: boolean;
    writeOnly?: boolean;
    nullable?: boolean;
    examples?: unknown[];
    format?: string;
    contentMediaType?: string;
    contentEncoding?: string;
    contentSchema?: z.core.JSONSchema.JSONSchema;
    _prefault?: unknown;
};
/** Every contract, by file name. */
export declare function allContracts(): Record<string, object>;
type Schema = Record<string, any>;
/**
 * Breaking changes from `before` to `after`, for consumers of the events: a property removed, a required property
 * made optional, a type changed, an enum value or a constant changed. Additions are not breaking.
 *
 * @example
 * breakingChanges(v1Schema, currentSchema); // => [] when compatible
 */
export declare function breakingChanges(before: Schema, after: Schema): string[];
export {};
