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
exports.contractFile = contractFile;
exports.eventSchema = eventSchema;
exports.allContracts = allContracts;
exports.breakingChanges = breakingChanges;
/**
 * JSON Schemas of the change events, generated from the same zod schemas the publisher and the SDK use.
 * `npm run contracts` writes them to `contracts/events/`; the frozen `contracts/events/v1/` copy is the published
 * baseline that a test holds every later version to (no breaking change without a new major version).
 */
const z = __importStar(require("zod"));
const events_js_1 = require("./events.js");
/** File name of a detail-type's schema: `Instance Registered` → `instance-registered.schema.json`. */
function contractFile(detailType) {
    return `${detailType.toLowerCase().replace(/\s+/g, '-')}.schema.json`;
}
/** The EventBridge envelope of one detail-type, with its `detail` schema. */
function eventSchema(detailType, source = 'service-registry') {
    const detail = detailType === 'Registry Resync Required' ? events_js_1.resyncEventDetail : detailType.startsWith('Registry Protection') ? events_js_1.protectionEventDetail : events_js_1.instanceEventDetail;
    const envelope = z.object({
        version: z.string(),
        id: z.string(),
        'detail-type': z.literal(detailType),
        source: z.string().meta({ description: `Configurable; default "${source}"` }),
        account: z.string(),
        time: z.string(),
        region: z.string(),
        resources: z.array(z.string()),
        detail,
    });
    return {
        $id: `urn:service-registry:events:${contractFile(detailType).replace('.schema.json', '')}`,
        title: detailType,
        ...z.toJSONSchema(envelope, { io: 'output', target: 'draft-2020-12', unrepresentable: 'any', reused: 'inline' }),
    };
}
/** Every contract, by file name. */
function allContracts() {
    return Object.fromEntries(events_js_1.DETAIL_TYPES.map((type) => [contractFile(type), eventSchema(type)]));
}
/**
 * Breaking changes from `before` to `after`, for consumers of the events: a property removed, a required property
 * made optional, a type changed, an enum value or a constant changed. Additions are not breaking.
 *
 * @example
 * breakingChanges(v1Schema, currentSchema); // => [] when compatible
 */
function breakingChanges(before, after) {
    return compare(dereference(before, before), dereference(after, after), '$');
}
/** Inlines local `#/$defs/…` references (the contracts have no cycles). */
function dereference(schema, root) {
    if (Array.isArray(schema))
        return schema.map((item) => dereference(item, root));
    if (typeof schema !== 'object' || schema === null)
        return schema;
    const ref = schema.$ref;
    if (typeof ref === 'string' && ref.startsWith('#/$defs/'))
        return dereference(root.$defs?.[ref.slice('#/$defs/'.length)], root);
    return Object.fromEntries(Object.entries(schema).filter(([k]) => k !== '$defs').map(([k, v]) => [k, dereference(v, root)]));
}
function compare(before, after, path) {
    const problems = [];
    const types = (s) => [s.type, ...(s.anyOf ?? []).map((x) => x.type)].flat().filter(Boolean).sort().join('|');
    if (types(before) !== types(after))
        problems.push(`${path}: type ${types(before) || 'any'} became ${types(after) || 'any'}`);
    if (before.const !== undefined && before.const !== after.const)
        problems.push(`${path}: constant ${JSON.stringify(before.const)} became ${JSON.stringify(after.const)}`);
    for (const value of before.enum ?? [])
        if (!(after.enum ?? []).includes(value))
            problems.push(`${path}: enum value ${JSON.stringify(value)} removed`);
    const objectOf = (s) => s.properties ? s : (s.anyOf ?? []).find((x) => x.properties) ?? {};
    const b = objectOf(before);
    const a = objectOf(after);
    for (const [name, sub] of Object.entries(b.properties ?? {})) {
        if (!a.properties?.[name])
            problems.push(`${path}.${name}: removed`);
        else
            problems.push(...compare(sub, a.properties[name], `${path}.${name}`));
    }
    for (const name of b.required ?? [])
        if (b.properties?.[name] && !(a.required ?? []).includes(name))
            problems.push(`${path}.${name}: no longer required`);
    if (before.items && after.items)
        problems.push(...compare(before.items, after.items, `${path}[]`));
    return problems;
}
