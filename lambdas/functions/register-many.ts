/**
 * `PUT /v1/services/{service}/instances`: register or replace up to 100 instances of one service in one request.
 * One result per item, in the order given; the answer is 200 when every item succeeded, 207 (Multi-Status) when at
 * least one did not. A problem with the request itself (not JSON, no items, more than 100, an id missing, malformed
 * or given twice, a caller that may not write the service) is a plain 400/403 and writes nothing.
 */
import { type errorBody, registerInstancesItem, type RegisterInstancesResult } from '@service-registry/contracts';
import type * as z from 'zod';
import type { Logger } from '@aws-lambda-powertools/logger';
import { RegistryError, ValidationError } from '../domain/errors.js';
import { toRecord } from '../domain/record.js';
import type { BulkRegistration } from '../domain/registry.js';
import type { Telemetry } from '../domain/telemetry.js';
import { errorAnswer, json } from '../http/errors.js';
import { httpRoute } from '../http/route.js';
import { parse } from '../http/validate.js';
import { ROUTES } from '../routes.js';
import type { RegistryRouteDependencies } from './register.js';

type ErrorBody = z.output<typeof errorBody>;

/** A refused item's result: the status and error body a single request would have been answered with. */
export interface ItemFailure {
  readonly status: 400 | 403 | 404 | 409 | 500;
  readonly error: ErrorBody['error'];
}

/**
 * The status and error of one refused item, mapped like a single request's error (`lambdas/http/errors.ts`): a
 * domain error by its kind, anything else a 500 whose message is never exposed (logged, and counted like a thrown
 * 500, so the item can be retried on its own).
 */
export function itemFailure(error: unknown, instanceId: string, route: string, deps: { logger: Pick<Logger, 'error'>; telemetry: Telemetry }): ItemFailure {
  deps.telemetry.count('HttpErrors', { route, kind: error instanceof RegistryError ? error.kind : 'internal' });
  const { status, error: body } = errorAnswer(error);
  if (status === 500) deps.logger.error('bulk item failed', { error: error as Error, instanceId });
  return { status: status as ItemFailure['status'], error: body as ItemFailure['error'] };
}

/**
 * The domain names a register body's fields as a single request has them (`body.address`, the refused address);
 * in a bulk request the item's fields are under `body.instances.<index>`, as its schema problems already are.
 */
function atItem(error: unknown, index: number): unknown {
  if (!(error instanceof ValidationError)) return error;
  return new ValidationError(error.problems.map((p) => ({ ...p, field: p.field.replace(/^body\./, `body.instances.${index}.`) })));
}

/** 200 when every item succeeded, 207 when any did not: a client that checks the status alone never misses a failure. */
export const bulkStatus = (results: readonly { status: number }[]) => (results.every((result) => result.status < 300) ? 200 : 207);

/**
 * @example
 * export const handler = registerManyHandler(fromEnv());
 */
export const registerManyHandler = (deps: RegistryRouteDependencies) =>
  httpRoute(
    ROUTES.RegisterInstances,
    async ({ path, body, caller }) => {
      // Each item's fields are checked as a single register's body is; a bad item is answered in its own result.
      const refused = new Map<string, unknown>();
      const valid: BulkRegistration[] = [];
      for (const [index, raw] of body.instances.entries()) {
        try {
          const { instanceId, ...fields } = parse(registerInstancesItem, raw, `body.instances.${index}`);
          valid.push({ instanceId, body: fields });
        } catch (error) {
          refused.set(raw.instanceId, error);
        }
      }
      const outcomes = new Map((await deps.registry.registerMany(caller, path.service, valid)).map((outcome) => [outcome.instanceId, outcome]));
      const results = body.instances.map(({ instanceId }, index): RegisterInstancesResult => {
        const outcome = outcomes.get(instanceId);
        if (outcome?.ok) return { instanceId, status: outcome.value.created ? 201 : 200, instance: toRecord(outcome.value.instance) };
        const error = outcome ? atItem(outcome.error, index) : refused.get(instanceId);
        return { instanceId, ...itemFailure(error, instanceId, ROUTES.RegisterInstances.id, deps) };
      });
      return json(bulkStatus(results), { service: path.service, results });
    },
    deps,
  );
