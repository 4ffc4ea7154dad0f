/**
 * `GET /v1/services/{service}/history`: the service's change history (or one instance's), newest first, paginated.
 * Readable by whoever may discover the service; 403 otherwise.
 */
import type { HistoryReader } from '../domain/history.js';
import { json } from '../http/errors.js';
import { type EdgeDependencies, httpRoute } from '../http/route.js';
import { ROUTES } from '../routes.js';

/** @example export const handler = historyReadHandler(fromEnv()); */
export const historyReadHandler = (deps: EdgeDependencies & { readonly history: HistoryReader }) =>
  httpRoute(
    ROUTES.ServiceHistory,
    async ({ path: { service }, query, caller }) => json(200, { service, ...(await deps.history.read(caller, service, query)) }),
    deps,
  );
