/**
 * Domain errors. Each carries a stable machine-readable `code` and, where it helps the caller,
 * `details`. They know nothing about HTTP: the edge maps them to status codes once
 * (see `lambdas/http/errors.ts`).
 */

/** One problem with one field of a request. `field` is a dotted path such as `body.port`. */
export interface FieldProblem {
  readonly field: string;
  readonly message: string;
}

/** Base class of every error the domain raises on purpose. */
export abstract class RegistryError extends Error {
  abstract readonly code: string;
  constructor(
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The request is malformed: bad JSON, wrong types, unknown fields, out-of-range values. */
export class ValidationError extends RegistryError {
  readonly code = 'VALIDATION_FAILED';
  constructor(readonly problems: readonly FieldProblem[]) {
    super(problems.map((p) => `${p.field}: ${p.message}`).join('; '), problems);
  }
}

/** No credentials, or credentials the registry does not know. */
export class UnauthenticatedError extends RegistryError {
  readonly code = 'UNAUTHENTICATED';
}

/** The caller is known but may not do this (not the owner, or not allowed to write the service). */
export class ForbiddenError extends RegistryError {
  readonly code = 'FORBIDDEN';
}

/** The instance does not exist, or its lease has expired (an expired instance is gone). */
export class InstanceNotFoundError extends RegistryError {
  readonly code = 'INSTANCE_NOT_FOUND';
  constructor(service: string, instanceId: string) {
    super(`instance '${instanceId}' of service '${service}' not found (or its lease has expired)`);
  }
}

/** The request is valid but does not fit the instance's state (e.g. a heartbeat to a probe-driven instance). */
export class ConflictError extends RegistryError {
  readonly code = 'CONFLICT';
}

/** The route exists but not for this method, or no route matches. */
export class RouteNotFoundError extends RegistryError {
  readonly code = 'ROUTE_NOT_FOUND';
}
