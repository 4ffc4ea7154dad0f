/**
 * The Eureka REST operations the registry serves: the one list the route table is generated from (both URL roots)
 * and the Eureka handler dispatches on. It imports nothing, because the route table imports it and the CDK construct
 * inlines the route table (packages/cdk/scripts/build.mts lets it inline only such modules).
 */
/** Both URL roots Eureka clients use: Netflix's `/eureka/v2` (eureka-js-client's default) and Spring's `/eureka`. */
export const EUREKA_PREFIXES = ['/eureka/v2', '/eureka'] as const;

/** One Eureka REST operation, under each of {@link EUREKA_PREFIXES}. */
export interface EurekaOperation {
  /** PascalCase; route ids are `EurekaV2<name>` and `Eureka<name>`. */
  readonly name: string;
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path after the prefix, API Gateway `{param}` syntax. */
  readonly path: string;
  readonly table: 'write' | 'read';
  readonly summary: string;
}

/**
 * Every Eureka operation served: the one list the route table is generated from and the handler dispatches on.
 * `GET /apps/delta` is a static path beside `GET /apps/{app}`: both API Gateway and the local router prefer the
 * static segment, as Eureka (an app named `DELTA` is unreachable there too).
 */
export const EUREKA_OPERATIONS: readonly EurekaOperation[] = [
  { name: 'Register', method: 'POST', path: '/apps/{app}', table: 'write', summary: 'Register an instance (204)' },
  { name: 'Heartbeat', method: 'PUT', path: '/apps/{app}/{instanceId}', table: 'write', summary: 'Renew the lease (200; 404: register again)' },
  { name: 'Deregister', method: 'DELETE', path: '/apps/{app}/{instanceId}', table: 'write', summary: 'Deregister an instance (200)' },
  { name: 'SetStatus', method: 'PUT', path: '/apps/{app}/{instanceId}/status', table: 'write', summary: 'Override the status (`?value=OUT_OF_SERVICE`)' },
  { name: 'ClearStatus', method: 'DELETE', path: '/apps/{app}/{instanceId}/status', table: 'write', summary: 'Remove the status override (back to UP)' },
  { name: 'SetMetadata', method: 'PUT', path: '/apps/{app}/{instanceId}/metadata', table: 'write', summary: 'Add or change metadata (`?key=value`…)' },
  { name: 'Apps', method: 'GET', path: '/apps', table: 'read', summary: 'The full registry' },
  { name: 'Delta', method: 'GET', path: '/apps/delta', table: 'read', summary: 'Instances changed in the last 3 minutes, with the full registry’s hashcode' },
  { name: 'App', method: 'GET', path: '/apps/{app}', table: 'read', summary: 'One application' },
  { name: 'Instance', method: 'GET', path: '/apps/{app}/{instanceId}', table: 'read', summary: 'One instance' },
  { name: 'Vip', method: 'GET', path: '/vips/{vip}', table: 'read', summary: 'Instances with this VIP address' },
  { name: 'SecureVip', method: 'GET', path: '/svips/{svip}', table: 'read', summary: 'Instances with this secure VIP address' },
];

/**
 * The operation an API Gateway route key names (`PUT /eureka/v2/apps/{app}/{instanceId}`), whichever prefix.
 *
 * @example
 * operationOf('GET /eureka/apps/delta')?.name; // => 'Delta'
 */
export function operationOf(routeKey: string): EurekaOperation | undefined {
  const [method, path = ''] = routeKey.split(' ');
  const prefix = EUREKA_PREFIXES.find((p) => path.startsWith(`${p}/`));
  if (!prefix) return undefined;
  const rest = path.slice(prefix.length);
  return EUREKA_OPERATIONS.find((op) => op.method === method && op.path === rest);
}

/**
 * The route-table id of an operation under a prefix: the one spelling, for the route table and for metric labels.
 *
 * @example
 * eurekaRouteId('/eureka/v2', 'Register'); // => 'EurekaV2Register'
 */
export function eurekaRouteId(prefix: (typeof EUREKA_PREFIXES)[number], operation: string): string {
  return `Eureka${prefix === '/eureka/v2' ? 'V2' : ''}${operation}`;
}

/**
 * The route-table id of an API Gateway route key of the Eureka function, or `unmatched`.
 *
 * @example
 * eurekaRouteIdOf('GET /eureka/apps'); // => 'EurekaApps'
 */
export function eurekaRouteIdOf(routeKey: string): string {
  const operation = operationOf(routeKey);
  const path = routeKey.split(' ')[1] ?? '';
  const prefix = EUREKA_PREFIXES.find((p) => path.startsWith(`${p}/`));
  return operation && prefix ? eurekaRouteId(prefix, operation.name) : 'unmatched';
}
