/**
 * The DynamoDB actions each function may perform on the registry table: exactly the requests its code sends,
 * nothing a convenience grant adds (`grantReadWriteData` would give every writer `Scan`, `BatchWriteItem`,
 * `PutItem` and `BatchGetItem` too). One declaration, used by the construct and checked by the infra tests.
 *
 * Where each action comes from (lambdas/domain/registry.ts through lambdas/adapters/dynamodb-store.ts; the prober
 * through dynamodb-prober-store.ts). test/packages/cdk/table-access.test.ts runs every route handler in process against a
 * mocked DynamoDB client and checks that the commands it actually sends map to exactly these actions:
 * - register, patch-instance, heartbeat: `UpdateItem` (the conditional write; the service counters are the
 *   publisher's, from the stream).
 * - register-many, heartbeat-many (the bulk routes): the same `UpdateItem` once per item, each still conditional
 *   (`BatchWriteItem` takes no conditions, so it is neither used nor granted).
 * - deregister: `UpdateItem` (stamps the caller for the change history), `DeleteItem` (conditional).
 * - get-instance: `GetItem` of the instance; for a just-expired one also `GetItem` of the guard's state item and a
 *   `Query` of the service's first page (the provisional protection check, `Registry.get`).
 * - discover: `Query` of instance pages; `GetItem` of the guard's state item when a page holds an expired lease or
 *   the answer is empty.
 * - list-services: `Query` of the services index only (it never reads the guard).
 * - prober: `Query` (services index, instance pages), `GetItem` (its guard state), `UpdateItem` (health, marks,
 *   counters, lock), `DeleteItem` (removals), `PutItem` (its guard state).
 */

/** A DynamoDB data-plane action, without the `dynamodb:` prefix. */
export type TableAction = 'GetItem' | 'Query' | 'UpdateItem' | 'DeleteItem' | 'PutItem';

/** Actions by function: route functions by their handler module, plus `prober`. Handlers absent here get none. */
export const TABLE_ACTIONS: Readonly<Record<string, readonly TableAction[]>> = {
  register: ['UpdateItem'],
  'patch-instance': ['UpdateItem'],
  heartbeat: ['UpdateItem'],
  'register-many': ['UpdateItem'],
  'heartbeat-many': ['UpdateItem'],
  deregister: ['DeleteItem', 'UpdateItem'],
  'get-instance': ['GetItem', 'Query'],
  discover: ['Query', 'GetItem'],
  'list-services': ['Query'],
  prober: ['Query', 'GetItem', 'UpdateItem', 'DeleteItem', 'PutItem'],
  // publisher (the stream consumer): one conditional `UpdateItem` of a service's counters per batch
  // (lambdas/domain/stream-counters.ts).
  publisher: ['UpdateItem'],
  // ── connectors and tokens ──
  // eureka: register/heartbeat/patch `UpdateItem`, deregister `DeleteItem` (+ counters `UpdateItem`), reads the service
  // list and instance pages (`Query`) and get-instance/the guard's state (`GetItem`).
  eureka: ['UpdateItem', 'DeleteItem', 'Query', 'GetItem'],
  // Token admin routes: PutItem (create, conditional), Query (list), DeleteItem (revoke). The token authorizer: one
  // GetItem by token id, nothing else.
  tokens: ['PutItem', 'Query', 'DeleteItem'],
  'token-authorizer': ['GetItem'],
  // sd-prometheus: discover's `Query` pages and guard `GetItem` per service, list-services' `Query` without `service=`.
  'sd-prometheus': ['Query', 'GetItem'],
  // dns-sync: discovery's `Query` pages and guard `GetItem` per touched service; the reconcile's list-services `Query`.
  'dns-sync': ['Query', 'GetItem'],
  // ── change history ──
  // history (the stream consumer): `PutItem` of each change's two items, nothing else, and only on `HISTORY#`
  // partition keys (packages/cdk/src/history.ts adds that condition). history-read: `Query`.
  history: ['PutItem'],
  'history-read': ['Query'],
};

/**
 * @example
 * tableActionsOf('deregister'); // => ['dynamodb:DeleteItem', 'dynamodb:UpdateItem']
 */
export function tableActionsOf(handler: string): string[] {
  return (TABLE_ACTIONS[handler] ?? []).map((action) => `dynamodb:${action}`);
}
