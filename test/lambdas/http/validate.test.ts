import { ValidationError } from '../../../lambdas/domain/errors.js';
import { instanceId, registerBody, serviceName } from '@service-registry/contracts';
import { parse } from '../../../lambdas/http/validate.js';

describe('names', () => {
  it.each(['a', 'orders', 'order-service-2', 'a'.repeat(63)])('accepts service name %s', (name) => {
    expect(serviceName.safeParse(name).success).toBe(true);
  });
  it.each(['', 'Orders', '-orders', 'orders-', 'a'.repeat(64), 'or_ders', 'or.ders'])('refuses service name "%s"', (name) => {
    expect(serviceName.safeParse(name).success).toBe(false);
  });
  it.each(['i-1', 'A.b_c:d-9', 'x'.repeat(128)])('accepts instance id %s', (id) => {
    expect(instanceId.safeParse(id).success).toBe(true);
  });
  it.each(['', 'a/b', 'a b', 'x'.repeat(129), 'é'])('refuses instance id "%s"', (id) => {
    expect(instanceId.safeParse(id).success).toBe(false);
  });
});

describe('addresses', () => {
  it.each(['10.2.0.256', '999.1.1.1', '1.2.3.4.5', '4294967296', '0x0a.0.0.1', '0x7f', '10.0.0.1.', 'host.123'])(
    'refuses %s: a name whose last label is a number is neither an IP address nor a hostname',
    (address) => {
      expect(() => parse(registerBody, { address, port: 80 }, 'body')).toThrow(
        expect.objectContaining({ problems: [expect.objectContaining({ field: 'body.address' })] }),
      );
    },
  );

  it.each(['10.0.0.1', '::1', 'fd12::5', 'orders.internal', '123.example.com', 'db-1', 'x.1a', 'ip-10-0-0-1.ec2.internal'])('accepts %s', (address) => {
    expect(parse(registerBody, { address, port: 80 }, 'body').address).toBe(address);
  });
});

describe('parse', () => {
  it('names every bad field with its location prefix', () => {
    try {
      parse(registerBody, { address: '10.0.0.1', port: 0, weight: 2000, extra: 1 }, 'body');
      throw new Error('expected a ValidationError');
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      const fields = (error as ValidationError).problems.map((p) => p.field);
      expect(fields).toEqual(expect.arrayContaining(['body.port', 'body.weight', 'body.extra']));
    }
  });

  it('fills defaults for an http health check, and none for tcp', () => {
    const http = parse(registerBody, { address: 'svc.internal', port: 80, healthCheck: { type: 'http' } }, 'body');
    expect(http.healthCheck).toMatchObject({ path: '/health', intervalSeconds: 10, timeoutSeconds: 2, healthyThreshold: 2, unhealthyThreshold: 3 });
    const tcp = parse(registerBody, { address: 'svc.internal', port: 80, healthCheck: { type: 'tcp' } }, 'body');
    expect(tcp.healthCheck).not.toHaveProperty('path');
  });
});
