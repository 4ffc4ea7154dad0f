/**
 * Domain errors. Each carries a stable machine-readable `code`, a `kind` saying what sort of failure it is, and,
 * where it helps the caller, `details`. They know nothing about HTTP: the edge maps each *kind* to a status code
 * once (see `lambdas/http/errors.ts`), so a subclass (say, a more specific validation error) maps like its parent.
 */

/**
 * What sort of failure an error is; the one thing the edge reads to answer it.
 * - `invalid`: the input is wrong; nothing changed.
 * - `unauthenticated`: no credentials, or unknown ones.
 * - `forbidden`: a known caller may not do this.
 * - `not-found`: what was asked for does not exist (or no longer does).
 * - `conflict`: valid input that does not fit the current state.
 */
export const ERROR_KINDS = ['invalid', 'unauthenticated', 'forbidden', 'not-found', 'conflict'] as const;
export type ErrorKind = (typeof ERROR_KINDS)[number];

/** One problem with one field of a request. `field` is a dotted path such as `body.port`. */
export interface FieldProblem {
  readonly field: string;
  readonly message: string;
}

/** Base class of every error the domain raises on purpose. */
export abstract class RegistryError extends Error {
  abstract readonly code: string;
  abstract readonly kind: ErrorKind;
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
  readonly code: string = 'VALIDATION_FAILED';
  readonly kind = 'invalid';
  constructor(readonly problems: readonly FieldProblem[]) {
    super(problems.map((p) => `${p.field}: ${p.message}`).join('; '), problems);
  }
}

/** No credentials, or credentials the registry does not know. */
export class UnauthenticatedError extends RegistryError {
  readonly code: string = 'UNAUTHENTICATED';
  readonly kind = 'unauthenticated';
}

/** The caller is known but may not do this (not the owner, or not allowed to write the service). */
export class ForbiddenError extends RegistryError {
  readonly code: string = 'FORBIDDEN';
  readonly kind = 'forbidden';
}

/** The instance does not exist, or its lease has expired (an expired instance is gone). */
export class InstanceNotFoundError extends RegistryError {
  readonly code: string = 'INSTANCE_NOT_FOUND';
  readonly kind = 'not-found';
  constructor(service: string, instanceId: string) {
    super(`instance '${instanceId}' of service '${service}' not found (or its lease has expired)`);
  }
}

/** The request is valid but does not fit the instance's state (e.g. a heartbeat to a probe-driven instance). */
export class ConflictError extends RegistryError {
  readonly code: string = 'CONFLICT';
  readonly kind = 'conflict';
}

/** No token has this id (never created, or already revoked). */
export class TokenNotFoundError extends RegistryError {
  readonly code: string = 'TOKEN_NOT_FOUND';
  readonly kind = 'not-found';
  constructor(tokenId: string) {
    super(`token '${tokenId}' not found (never created, or already revoked)`);
  }
}
