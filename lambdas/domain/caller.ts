/**
 * Who is calling, as the edge authenticated them. In AWS the principal is the IAM role (not the session);
 * locally it comes from the bearer-token file. `services` lists what the caller may write (`*` for any).
 */
export interface Caller {
  readonly principal: string;
  readonly services: readonly string[];
  readonly admin: boolean;
}

/** True when the caller may register or change instances of `service`. */
export function mayWrite(caller: Caller, service: string): boolean {
  return caller.admin || caller.services.includes('*') || caller.services.includes(service);
}

/**
 * The owner a conditional write must match, or `undefined` for an admin, who may write any instance.
 * Ownership is enforced in the store's condition expression, so it cannot race a concurrent write.
 */
export function ownerGuard(caller: Caller): string | undefined {
  return caller.admin ? undefined : caller.principal;
}
