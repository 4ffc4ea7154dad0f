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
    const principal = roleOf(arn);
    return { principal, services: ['*'], read: ['*'], admin: adminPrincipals.includes(principal) };
  }
  throw new UnauthenticatedError('request carries no authenticated principal');
}
