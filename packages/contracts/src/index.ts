/**
 * `@service-registry/contracts`: the shapes the registry and its clients share, as zod schemas (validate with them,
 * infer types from them): the HTTP API's requests and answers, and the change events.
 *
 * @example
 * import { instanceList } from '@service-registry/contracts';
 * const page = instanceList.parse(await (await fetch(`${url}/v1/services/orders/instances`)).json());
 *
 * @packageDocumentation
 */
export * from './api.js';
export * from './defaults.js';
export * from './events.js';
export * from './event-schemas.js';
