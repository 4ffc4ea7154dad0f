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
    readonly field: 'service' | 'instanceId',
    message: string,
  ) {
    super(message);
    this.name = 'RegistryValidationError';
  }
}
