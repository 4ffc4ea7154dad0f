/**
 * Who is calling, from the API Gateway request context. Two sources:
 * - `authorizer.iam` (AWS, IAM auth): the principal is the caller's role, not its session, so a service keeps
 *   ownership across credential refreshes. Which services it may write is enforced by IAM on the route ARNs.
 * - `authorizer.lambda` (the local runtime's bearer-token authorizer, or a Lambda authorizer in AWS).
 * No authorizer context means the request did not pass an authorizer: 401.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { Caller } from '../domain/caller.js';
import { UnauthenticatedError } from '../domain/errors.js';

interface AuthorizerContext {
  iam?: { userArn?: string };
  lambda?: { principal?: unknown; services?: unknown; read?: unknown; admin?: unknown };
}

/**
 * @example
 * roleOf('arn:aws:sts::123456789012:assumed-role/orders-task/i-0abc'); // => 'arn:aws:iam::123456789012:role/orders-task'
 */
export function roleOf(arn: string): string {
  const match = /^arn:(aws[\w-]*):sts::(\d{12}):assumed-role\/([^/]+)\/.+$/.exec(arn);
  return match ? `arn:${match[1]}:iam::${match[2]}:role/${match[3]}` : arn;
}

/**
 * The identity an ARN names, for comparing a caller with the configured admins: partition, account and role name
 * for a role (`arn:aws:iam::…:role/<path>/<name>`) or a role session (`arn:aws:sts::…:assumed-role/<name>/<session>`),
 * the ARN itself for anything else (an IAM user). A session ARN carries no path, while a role ARN given to
 * `grantAdmin` (IAM Identity Center's `/aws-reserved/sso.amazonaws.com/…`, any role under a path) does, so the path
 * is left out; role names are unique within an account whatever their path, and not distinguished by case
 * (https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html), so the name is compared in lower case.
 *
 * @example
 * identityOf('arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_abc');
 * // => 'role:aws:123456789012:awsreservedsso_admin_abc'
 * identityOf('arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin_abc/alice'); // => the same
 */
export function identityOf(arn: string): string {
  const session = /^arn:(aws[\w-]*):sts::(\d{12}):assumed-role\/([^/]+)\/.+$/.exec(arn);
  const role = session ?? /^arn:(aws[\w-]*):iam::(\d{12}):role\/(?:[^/]+\/)*([^/]+)$/.exec(arn);
  return role ? `role:${role[1]}:${role[2]}:${role[3]!.toLowerCase()}` : arn;
}

export function callerFrom(event: APIGatewayProxyEventV2, adminPrincipals: readonly string[]): Caller {
  const authorizer = (event.requestContext as { authorizer?: AuthorizerContext }).authorizer;
  const lambda = authorizer?.lambda;
  if (lambda && typeof lambda.principal === 'string' && Array.isArray(lambda.services)) {
    const services = lambda.services.map(String);
    const read = Array.isArray(lambda.read) ? lambda.read.map(String) : services;
    return { principal: lambda.principal, services, read, admin: lambda.admin === true };
  }
  const arn = authorizer?.iam?.userArn;
  if (arn) {
    // The principal (the owner stored on instances) stays the path-less role ARN, as it always was.
    const identity = identityOf(arn);
    const admin = adminPrincipals.some((admin) => identityOf(admin) === identity);
    return { principal: roleOf(arn), services: ['*'], read: ['*'], admin };
  }
  throw new UnauthenticatedError('request carries no authenticated principal');
}
