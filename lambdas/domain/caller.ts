/**
 * Who is calling, as the edge authenticated them. In AWS the principal is the IAM role (not the session);
 * locally it comes from the bearer-token file. `services` lists what the caller may write, `read` what it may
 * read (discovery, the instance, the change feed); `*` stands for any service.
 */
export interface Caller {
  readonly principal: string;
  readonly services: readonly string[];
  /** Services the caller may read. In AWS IAM decides on the route ARNs, so the edge passes `['*']`. */
  readonly read: readonly string[];
  readonly admin: boolean;
}

/** True when the caller may register or change instances of `service`. */
export function mayWrite(caller: Caller, service: string): boolean {
  return caller.admin || caller.services.includes('*') || caller.services.includes(service);
}

/** True when the caller may read `service` (discover it, get its instances, follow its change events). */
export function mayRead(caller: Caller, service: string): boolean {
  return caller.admin || caller.read.includes('*') || caller.read.includes(service);
}

/**
 * The owner a conditional write must match, or `undefined` for an admin, who may write any instance.
 * Ownership is enforced in the store's condition expression, so it cannot race a concurrent write.
 */
export function ownerGuard(caller: Caller): string | undefined {
  return caller.admin ? undefined : caller.principal;
}
