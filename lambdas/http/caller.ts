/**
 * Who is calling, from the API Gateway request context. Two sources:
 * - `authorizer.iam` (AWS, IAM auth): the principal is the caller's role, not its session, so a service keeps
 *   ownership across credential refreshes. Which services it may write is enforced by IAM on the route ARNs.
 * - `authorizer.lambda` (the registry's bearer-token authorizer: the Lambda authorizer of `auth: 'token'` routes in
 *   AWS, and the local runtime's on every route), in the shape {@link authorizerContext} writes.
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
 * What a bearer-token authorizer hands the route functions (`requestContext.authorizer.lambda`): the caller with
 * its service lists joined by commas. API Gateway documents an authorizer's `context` as a map of string, number
 * and boolean values, not arrays or objects
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-lambda-authorizer.html, "context";
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-lambda-authorizer-output.html), so
 * the lists travel as strings; a service name never holds a comma. The local runtime passes the same shape, so the
 * decoding in {@link callerFrom} is the one AWS exercises.
 *
 * @example
 * authorizerContext({ principal: 'prometheus', services: [], read: ['*'], admin: false });
 * // => { principal: 'prometheus', services: '', read: '*', admin: false }
 */
export function authorizerContext(caller: Caller): { principal: string; services: string; read: string; admin: boolean } {
  return { principal: caller.principal, services: caller.services.join(','), read: caller.read.join(','), admin: caller.admin };
}

/** A service list from an authorizer context: comma-joined (see {@link authorizerContext}) or an array. */
function serviceList(value: unknown): string[] | undefined {
  if (Array.isArray(value)) return value.map(String);
  if (typeof value === 'string') return value.split(',').filter((s) => s !== '');
  return undefined;
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
  const services = serviceList(lambda?.services);
  if (lambda && typeof lambda.principal === 'string' && services) {
    const read = serviceList(lambda.read) ?? services;
    // `true` as a boolean; the string form too, should a context value ever arrive stringified.
    return { principal: lambda.principal, services, read, admin: lambda.admin === true || lambda.admin === 'true' };
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
