/** An error answer of the registry API, carrying its HTTP status and the API's error `code`. */
export class RegistryApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: ReadonlyArray<{ field: string; message: string }>,
  ) {
    super(message);
    this.name = 'RegistryApiError';
  }
}

/** The registry could not be reached (connection refused, DNS, timeout). */
export class RegistryUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RegistryUnavailableError';
  }
}

/**
 * An argument the registry would refuse, caught before any request: a service name or instance id outside the
 * server's grammar (the same zod schemas the handlers validate with), or a value that is not a string at all — as
 * `process.env.HOSTNAME!` is when the variable is unset.
 *
 * @example
 * try {
 *   await registry.register('orders', process.env.HOSTNAME!, registration);
 * } catch (error) {
 *   if (error instanceof RegistryValidationError) console.error(error.field, error.message);
 * }
 */
export class RegistryValidationError extends Error {
  constructor(
    readonly field: 'service' | 'instanceId' | 'tokenId',
    message: string,
  ) {
    super(message);
    this.name = 'RegistryValidationError';
  }
}

/**
 * An answer or an event that does not match the registry's contract (the zod schemas of
 * `@service-registry/contracts`): the SDK validates what crosses the wire instead of trusting a cast, so a proxy's
 * HTML page, a truncated body or a registry of an incompatible version fails here, naming the first field that is
 * wrong, rather than deep inside a balancer.
 *
 * @example
 * try {
 *   await registry.discover('orders');
 * } catch (error) {
 *   if (error instanceof RegistryResponseError) console.error(error.what, error.issues);
 * }
 */
export class RegistryResponseError extends Error {
  constructor(
    /** What was being read, e.g. `GET /v1/services/orders/instances (200)` or `event Instance Registered`. */
    readonly what: string,
    /** Where the answer departs from the contract: `path` (dot-joined, empty for the whole value) and a message. */
    readonly issues: ReadonlyArray<{ path: string; message: string }>,
  ) {
    super(
      `${what} does not match the registry contract: ${issues
        .map((i) => (i.path ? `${i.path}: ${i.message}` : i.message))
        .slice(0, 3)
        .join('; ')}`,
    );
    this.name = 'RegistryResponseError';
  }
}

/**
 * An optional peer dependency the feature in use needs is not installed: `@aws-sdk/client-sqs` for `SqsFeed`,
 * `@aws-sdk/credential-provider-node` for SigV4 with the default credential chain. The message says what to install.
 */
export class RegistryDependencyError extends Error {
  constructor(
    /** The package to install. */
    readonly dependency: string,
    message: string,
    cause?: unknown,
  ) {
    super(message, { cause });
    this.name = 'RegistryDependencyError';
  }
}
