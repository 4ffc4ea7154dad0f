import { callerFrom, roleOf } from '../../../lambdas/http/caller.js';
import { etagMatches } from '../../../lambdas/http/etag.js';
import { errorResponse } from '../../../lambdas/http/errors.js';
import { MAX_BODY_BYTES, readJsonBody } from '../../../lambdas/http/json-body.js';
import { ForbiddenError, InstanceNotFoundError, UnauthenticatedError, ValidationError } from '../../../lambdas/domain/errors.js';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';

const event = (authorizer: unknown) => ({ requestContext: { authorizer } }) as unknown as APIGatewayProxyEventV2;

describe('callerFrom', () => {
  it('takes the role, not the session, as the principal under IAM auth, and leaves reads to IAM', () => {
    const caller = callerFrom(event({ iam: { userArn: 'arn:aws:sts::123456789012:assumed-role/orders-task/i-0abc' } }), []);
    expect(caller).toEqual({ principal: 'arn:aws:iam::123456789012:role/orders-task', services: ['*'], read: ['*'], admin: false });
  });

  it('makes configured IAM principals admins', () => {
    const arn = 'arn:aws:iam::123456789012:role/platform-admin';
    expect(callerFrom(event({ iam: { userArn: arn } }), [arn]).admin).toBe(true);
    const session = 'arn:aws:sts::123456789012:assumed-role/platform-admin/ci-run-7';
    expect(callerFrom(event({ iam: { userArn: session } }), [arn]).admin).toBe(true);
  });

  it('makes a role with an IAM path an admin through its sessions, whose ARN has no path, and keeps the principal path-less', () => {
    const granted = 'arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_abc';
    const session = 'arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin_abc/alice';
    const caller = callerFrom(event({ iam: { userArn: session } }), [granted]);
    expect(caller.admin).toBe(true);
    expect(caller.principal).toBe('arn:aws:iam::123456789012:role/AWSReservedSSO_Admin_abc');
    expect(callerFrom(event({ iam: { userArn: 'arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin_abc/bob' } }), [granted]).principal).toBe(
      caller.principal,
    );
  });

  it('does not make admins of a role with the same name in another account or partition, or of another role', () => {
    const granted = ['arn:aws:iam::123456789012:role/ops/platform-admin'];
    for (const arn of [
      'arn:aws:sts::210987654321:assumed-role/platform-admin/alice',
      'arn:aws-cn:sts::123456789012:assumed-role/platform-admin/alice',
      'arn:aws:sts::123456789012:assumed-role/platform-admin-2/alice',
      'arn:aws:sts::123456789012:assumed-role/orders-task/platform-admin',
    ]) {
      expect(callerFrom(event({ iam: { userArn: arn } }), granted).admin).toBe(false);
    }
  });

  it('compares IAM user ARNs as they are', () => {
    const user = 'arn:aws:iam::123456789012:user/alice';
    expect(callerFrom(event({ iam: { userArn: user } }), [user]).admin).toBe(true);
    expect(callerFrom(event({ iam: { userArn: 'arn:aws:iam::123456789012:user/bob' } }), [user]).admin).toBe(false);
  });

  it('reads a Lambda authorizer context, with its read scope defaulting to its write scope', () => {
    expect(callerFrom(event({ lambda: { principal: 'alice', services: ['orders'], admin: false } }), [])).toEqual({
      principal: 'alice',
      services: ['orders'],
      read: ['orders'],
      admin: false,
    });
    expect(callerFrom(event({ lambda: { principal: 'gw', services: [], read: ['orders', 'payments'], admin: false } }), []).read).toEqual([
      'orders',
      'payments',
    ]);
  });

  it('fails closed without an authorizer context', () => {
    expect(() => callerFrom(event(undefined), [])).toThrow(UnauthenticatedError);
  });

  it('leaves IAM user ARNs as they are', () => {
    expect(roleOf('arn:aws:iam::123456789012:user/alice')).toBe('arn:aws:iam::123456789012:user/alice');
  });
});

describe('etagMatches', () => {
  it('compares weakly and accepts lists and *', () => {
    expect(etagMatches('W/"abc"', 'W/"abc"')).toBe(true);
    expect(etagMatches('"abc"', 'W/"abc"')).toBe(true);
    expect(etagMatches('"x", W/"abc"', 'W/"abc"')).toBe(true);
    expect(etagMatches('*', 'W/"abc"')).toBe(true);
    expect(etagMatches('W/"abd"', 'W/"abc"')).toBe(false);
    expect(etagMatches(undefined, 'W/"abc"')).toBe(false);
  });
});

describe('readJsonBody', () => {
  it('decodes base64 bodies and refuses oversize ones', () => {
    expect(readJsonBody({ body: Buffer.from('{"a":1}').toString('base64'), isBase64Encoded: true, headers: {} })).toEqual({ a: 1 });
    expect(() => readJsonBody({ body: `"${'x'.repeat(MAX_BODY_BYTES)}"`, isBase64Encoded: false, headers: {} })).toThrow(/at most 16384/);
  });
});

describe('errorResponse', () => {
  it('maps domain errors to their status with the one error shape', () => {
    const res = errorResponse(new ValidationError([{ field: 'body.port', message: 'too big' }]));
    expect(res.statusCode).toBe(400);
    expect(JSON.parse(res.body!)).toEqual({
      error: { code: 'VALIDATION_FAILED', message: 'body.port: too big', details: [{ field: 'body.port', message: 'too big' }] },
    });
    expect(errorResponse(new ForbiddenError('no')).statusCode).toBe(403);
  });

  it('never exposes the message of an unexpected error, and logs it', () => {
    const logged: unknown[][] = [];
    const res = errorResponse(new Error('secret table name in stack'), { error: (...args: unknown[]) => void logged.push(args) });
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toContain('secret');
    expect(logged).toHaveLength(1);
  });

  it('maps an error by its kind, so a subclass answers like its parent', () => {
    class TooManyTagsError extends ValidationError {}
    class StillNotFoundError extends InstanceNotFoundError {}
    expect(errorResponse(new TooManyTagsError([{ field: 'body.tags', message: 'too many' }])).statusCode).toBe(400);
    expect(errorResponse(new StillNotFoundError('orders', 'a')).statusCode).toBe(404);
  });
});
