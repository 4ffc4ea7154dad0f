/**
 * `GET /v1/services/{service}/history`: the service's change history (or one instance's), newest first, paginated.
 * Readable by whoever may discover the service; 403 otherwise.
 */
import { DynamoDbHistoryStore } from '../adapters/dynamodb-history-store.js';
import { HistoryReader } from '../domain/history.js';
import { parse } from '../domain/validate.js';
import { historyQuery, servicePath } from '@service-registry/contracts';
import { callerFrom } from '../http/caller.js';
import { json } from '../http/errors.js';
import { queryObject, queryPairs } from '../http/query.js';
import { httpRoute } from '../http/route.js';
import { config, documentClient } from '../shared/registry.js';

// Reads never write, so retention does not matter here: items past it are skipped by their TTL attribute.
const reader = new HistoryReader({ store: new DynamoDbHistoryStore(documentClient, config.tableName, 0) });

export const handler = httpRoute(async (event) => {
  const { service } = parse(servicePath, event.pathParameters, 'path');
  const query = parse(historyQuery, queryObject(queryPairs(event)), 'query');
  return json(200, { service, ...(await reader.read(callerFrom(event, config.adminPrincipals), service, query)) });
});
