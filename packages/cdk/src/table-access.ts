/**
 * The DynamoDB actions each function may perform on the registry table: exactly the requests its code sends,
 * nothing a convenience grant adds (`grantReadWriteData` would give every writer `Scan`, `BatchWriteItem`,
 * `PutItem` and `BatchGetItem` too). One declaration, used by the construct and checked by the infra tests.
 *
 * Where each action comes from (lambdas/adapters/dynamodb-store.ts, dynamodb-prober-store.ts):
 * - `UpdateItem`: register, patch and heartbeat (conditional updates), every summary counter, prober health
 *   changes, removal marks, summary resets and the prober lock.
 * - `DeleteItem`: deregister, and the prober deleting an instance it marked.
 * - `PutItem`: only the prober's protection state.
 * - `GetItem`: reading one instance, and the small state items (protection) that reads consult.
 * - `Query`: an instance page of one service, and the services index.
 */

/** A DynamoDB data-plane action, without the `dynamodb:` prefix. */
export type TableAction = 'GetItem' | 'Query' | 'UpdateItem' | 'DeleteItem' | 'PutItem';

/** Actions by function: route functions by their handler module, plus `prober`. Handlers absent here get none. */
export const TABLE_ACTIONS: Readonly<Record<string, readonly TableAction[]>> = {
  register: ['UpdateItem'],
  'patch-instance': ['UpdateItem'],
  heartbeat: ['UpdateItem'],
  deregister: ['DeleteItem', 'UpdateItem'],
  'get-instance': ['GetItem'],
  discover: ['Query', 'GetItem'],
  'list-services': ['Query', 'GetItem'],
  prober: ['Query', 'GetItem', 'UpdateItem', 'DeleteItem', 'PutItem'],
};

/**
 * @example
 * tableActionsOf('deregister'); // => ['dynamodb:DeleteItem', 'dynamodb:UpdateItem']
 */
export function tableActionsOf(handler: string): string[] {
  return (TABLE_ACTIONS[handler] ?? []).map((action) => `dynamodb:${action}`);
}
