import { callerFrom, roleOf } from '../../lambdas/http/caller.js';
import { etagMatches } from '../../lambdas/http/etag.js';
import { errorResponse } from '../../lambdas/http/errors.js';
import { MAX_BODY_BYTES, readJsonBody } from '../../lambdas/http/json-body.js';
import { ForbiddenError, UnauthenticatedError, ValidationError } from '../../lambdas/domain/errors.js';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';

const event = (authorizer: unknown) => ({ requestContext: { authorizer } }) as unknown as APIGatewayProxyEventV2;

describe('callerFrom', () => {
  it('takes the role, not the session, as the principal under IAM auth', () => {
    const caller = callerFrom(event({ iam: { userArn: 'arn:aws:sts::123456789012:assumed-role/orders-task/i-0abc' } }), []);
    expect(caller).toEqual({ principal: 'arn:aws:iam::123456789012:role/orders-task', services: ['*'], admin: false });
  });

  it('makes configured IAM principals admins', () => {
    const arn = 'arn:aws:iam::123456789012:role/platform-admin';
    expect(callerFrom(event({ iam: { userArn: arn } }), [arn]).admin).toBe(true);
  });

  it('reads a Lambda authorizer context', () => {
    expect(callerFrom(event({ lambda: { principal: 'alice', services: ['orders'], admin: false } }), [])).toEqual({
      principal: 'alice',
      services: ['orders'],
      admin: false,
    });
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

  it('never exposes the message of an unexpected error', () => {
    const res = errorResponse(new Error('secret table name in stack'));
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toContain('secret');
  });
});
