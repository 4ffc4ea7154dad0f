/** The Eureka mapping, hashcode and wire formats, without a server. */
import { registerBody } from '@service-registry/contracts';
import {
  delta,
  eurekaStatus,
  fromEurekaStatus,
  fullRegistry,
  keepOverride,
  overrideOf,
  planRegistration,
  reconcileHashCode,
  serviceOf,
  toEurekaInstance,
} from '../../../lambdas/connectors/eureka.js';
import { operationOf } from '../../../lambdas/connectors/eureka-routes.js';
import { parseXml, readEurekaBody, toXml, wantsJson } from '../../../lambdas/connectors/eureka-xml.js';
import { ValidationError } from '../../../lambdas/domain/errors.js';
import { draftInstance, type Instance } from '../../../lambdas/domain/instance.js';
import { LAMBDA_RESPONSE_MAX_BYTES } from '../../../local/api-gateway.js';

const NOW = 1_800_000_000_000;

/** What the registry would hold after a Eureka registration. */
function registered(app: string, raw: unknown, overrides: Partial<Instance> = {}): Instance {
  const plan = planRegistration(app, raw);
  const draft = draftInstance({ service: plan.service, instanceId: plan.instanceId }, registerBody.parse(plan.body), 'alice', NOW - 60_000);
  return { ...draft, revision: 1, ...(plan.status && { status: plan.status.status }), ...overrides };
}

const jsClientInstance = {
  app: 'ORDERS',
  hostName: '10.0.0.5',
  ipAddr: '10.0.0.5',
  port: { $: 8080, '@enabled': 'true' },
  vipAddress: 'orders.vip',
  dataCenterInfo: { '@class': 'com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo', name: 'MyOwn' },
};

const fieldsOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    if (error instanceof ValidationError) return error.problems.map((p) => p.field);
    throw error;
  }
  throw new Error('did not throw');
};

describe('reconcileHashCode', () => {
  it("counts instances per status in sorted status order, as Eureka's getReconcileHashCode does", () => {
    expect(reconcileHashCode(['UP', 'DOWN', 'UP'])).toBe('DOWN_1_UP_2_');
    expect(reconcileHashCode(['UP', 'STARTING', 'OUT_OF_SERVICE', 'UP', 'DOWN'])).toBe('DOWN_1_OUT_OF_SERVICE_1_STARTING_1_UP_2_');
  });

  it('is empty for an empty registry', () => {
    expect(reconcileHashCode([])).toBe('');
  });
});

describe('status mapping', () => {
  it.each([
    [{ status: 'UP', health: 'passing', metadata: {} }, 'UP'],
    [{ status: 'UP', health: 'unknown', metadata: {} }, 'UP'],
    [{ status: 'UP', health: 'critical', metadata: {} }, 'DOWN'],
    [{ status: 'DRAINING', health: 'passing', metadata: {} }, 'OUT_OF_SERVICE'],
    [{ status: 'DRAINING', health: 'passing', metadata: { 'eureka.status': 'STARTING' } }, 'STARTING'],
    [{ status: 'DRAINING', health: 'critical', metadata: { 'eureka.status': 'DOWN' } }, 'DOWN'],
    [{ status: 'UP', health: 'passing', metadata: { 'eureka.status': 'DOWN' } }, 'UP'],
  ] as const)('shows %j as %s', (instance, expected) => {
    expect(eurekaStatus(instance)).toBe(expected);
  });

  it('stores every Eureka status so that it reads back the same', () => {
    for (const status of ['UP', 'DOWN', 'STARTING', 'OUT_OF_SERVICE', 'UNKNOWN'] as const) {
      const stored = fromEurekaStatus(status);
      const metadata: Record<string, string> = stored.marker ? { 'eureka.status': stored.marker } : {};
      expect(eurekaStatus({ status: stored.status, health: 'passing', metadata })).toBe(status);
    }
  });
});

describe('status overrides', () => {
  it("keeps an operator's override over the status a re-registration reports", () => {
    const plan = keepOverride(planRegistration('ORDERS', { instance: { ...jsClientInstance, status: 'UP' } }), 'OUT_OF_SERVICE');
    expect(plan.status).toEqual({ status: 'DRAINING' });
    expect(plan.body.metadata).toEqual({ 'eureka.overriddenStatus': 'OUT_OF_SERVICE' });
    const instance = registered('ORDERS', { instance: jsClientInstance }, { status: 'DRAINING', metadata: plan.body.metadata as Record<string, string> });
    expect(toEurekaInstance(instance)).toMatchObject({ status: 'OUT_OF_SERVICE', overriddenStatus: 'OUT_OF_SERVICE' });
  });

  it('replaces the status marker a client reported with the override’s', () => {
    const plan = keepOverride(planRegistration('ORDERS', { instance: { ...jsClientInstance, status: 'STARTING' } }), 'DOWN');
    expect(plan.body.metadata).toEqual({ 'eureka.status': 'DOWN', 'eureka.overriddenStatus': 'DOWN' });
    expect(overrideOf(plan.body.metadata as Record<string, string>)).toBe('DOWN');
    expect(overrideOf({ 'eureka.overriddenStatus': 'SLEEPY' })).toBeUndefined();
  });
});

describe('planRegistration', () => {
  it("maps eureka-js-client's registration onto a lease-mode register body", () => {
    const plan = planRegistration('ORDERS', { instance: jsClientInstance });
    expect(plan).toMatchObject({ service: 'orders', instanceId: '10.0.0.5' });
    expect(registerBody.parse(plan.body)).toMatchObject({
      address: '10.0.0.5',
      port: 8080,
      protocol: 'http',
      tags: ['vip:orders.vip'],
      metadata: {},
      leaseSeconds: 90,
    });
    expect(plan.status).toBeUndefined();
  });

  it('takes the zone from AmazonInfo, the lease from leaseInfo and keeps the host name beside the IP address', () => {
    const plan = planRegistration('orders', {
      instance: {
        ...jsClientInstance,
        instanceId: 'i-0abc',
        hostName: 'ip-10-0-0-5.ec2.internal',
        leaseInfo: { durationInSecs: '30' },
        secureVipAddress: 'orders.secure',
        securePort: { $: '8443', '@enabled': 'true' },
        metadata: { build: 42, '@class': 'java.util.Collections$EmptyMap' },
        dataCenterInfo: {
          '@class': 'com.netflix.appinfo.AmazonInfo',
          name: 'Amazon',
          metadata: { 'availability-zone': 'eu-west-1a', 'instance-id': 'i-0abc' },
        },
      },
    });
    expect(plan.secondaryAddress).toEqual({ value: 'ip-10-0-0-5.ec2.internal', field: 'body.instance.hostName' });
    expect(registerBody.parse(plan.body)).toMatchObject({
      address: '10.0.0.5',
      zone: 'eu-west-1a',
      leaseSeconds: 30,
      tags: ['vip:orders.vip', 'svip:orders.secure'],
      metadata: { build: '42', 'eureka.hostName': 'ip-10-0-0-5.ec2.internal', 'eureka.securePort': '8443', 'eureka.dataCenter': 'Amazon' },
    });
  });

  it("defaults the instance id to AWS's instance-id, else the host name; reads a zone metadata key outside AWS; serves https on the secure port alone", () => {
    const amazon = planRegistration('ORDERS', { instance: { ...jsClientInstance, dataCenterInfo: { name: 'Amazon', metadata: { 'instance-id': 'i-0abc' } } } });
    expect(amazon.instanceId).toBe('i-0abc');
    const zoned = planRegistration('ORDERS', { instance: { ...jsClientInstance, metadata: { zone: 'rack-7' } } });
    expect(registerBody.parse(zoned.body)).toMatchObject({ zone: 'rack-7', metadata: { zone: 'rack-7' } });
    const secureOnly = planRegistration('ORDERS', {
      instance: { ...jsClientInstance, port: { $: 8080, '@enabled': 'false' }, securePort: { $: 8443, '@enabled': 'true' } },
    });
    expect(registerBody.parse(secureOnly.body)).toMatchObject({ port: 8443, protocol: 'https' });
    expect(
      toEurekaInstance(
        registered('ORDERS', { instance: { ...jsClientInstance, port: { $: 8080, '@enabled': 'false' }, securePort: { $: 8443, '@enabled': 'true' } } }),
      ),
    ).toMatchObject({
      port: { '@enabled': 'false' },
      securePort: { $: 8443, '@enabled': 'true' },
    });
  });

  it('registers a STARTING instance as DRAINING, remembering STARTING', () => {
    const plan = planRegistration('ORDERS', { instance: { ...jsClientInstance, status: 'STARTING' } });
    expect(plan.status).toEqual({ status: 'DRAINING', marker: 'STARTING' });
    expect((plan.body.metadata as Record<string, string>)['eureka.status']).toBe('STARTING');
  });

  it('names each missing field', () => {
    expect(fieldsOf(() => planRegistration('ORDERS', {}))).toEqual(['body.instance']);
    expect(fieldsOf(() => planRegistration('ORDERS', { instance: { app: 'ORDERS' } })).sort()).toEqual([
      'body.instance.dataCenterInfo',
      'body.instance.hostName',
      'body.instance.ipAddr',
    ]);
    expect(fieldsOf(() => planRegistration('ORDERS', { instance: { ...jsClientInstance, port: undefined } }))).toEqual(['body.instance.port']);
  });

  it('refuses an app that differs from the path, app names that are no service name, and reserved metadata keys', () => {
    expect(fieldsOf(() => planRegistration('ORDERS', { instance: { ...jsClientInstance, app: 'PAYMENTS' } }))).toEqual(['body.instance.app']);
    expect(fieldsOf(() => planRegistration('MY_APP', { instance: { ...jsClientInstance, app: 'MY_APP' } }))).toEqual(['path.app']);
    expect(fieldsOf(() => planRegistration('ORDERS', { instance: { ...jsClientInstance, metadata: { 'eureka.status': 'UP' } } }))).toEqual([
      'body.instance.metadata.eureka.status',
    ]);
  });

  it('lower-cases app names into service names', () => {
    expect(serviceOf('Orders-Api')).toBe('orders-api');
    expect(() => serviceOf('a.b')).toThrow(ValidationError);
  });
});

describe('toEurekaInstance', () => {
  it("writes Eureka's JSON quirks: ports as {$, @enabled}, the data center's @class, the app upper-cased", () => {
    const instance = toEurekaInstance(registered('ORDERS', { instance: jsClientInstance }));
    expect(instance).toMatchObject({
      instanceId: '10.0.0.5',
      app: 'ORDERS',
      hostName: '10.0.0.5',
      ipAddr: '10.0.0.5',
      status: 'UP',
      port: { $: 8080, '@enabled': 'true' },
      securePort: { '@enabled': 'false' },
      vipAddress: 'orders.vip',
      dataCenterInfo: { '@class': 'com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo', name: 'MyOwn' },
      leaseInfo: { durationInSecs: 90 },
      metadata: {},
    });
  });

  it('shows a natively registered instance with its service name as VIP and its zone as AmazonInfo only when registered so', () => {
    const native = {
      ...draftInstance(
        { service: 'orders', instanceId: 'n1' },
        registerBody.parse({ address: '10.0.0.9', port: 80, zone: 'z1', metadata: { a: 'b' } }),
        'bob',
        NOW,
      ),
      revision: 1,
    };
    expect(toEurekaInstance(native)).toMatchObject({ vipAddress: 'orders', dataCenterInfo: { name: 'MyOwn' }, metadata: { a: 'b' } });
  });

  it('round-trips an Amazon registration: zone, host name, secure port, hidden reserved keys', () => {
    const instance = toEurekaInstance(
      registered('ORDERS', {
        instance: {
          ...jsClientInstance,
          hostName: 'ip-10-0-0-5.ec2.internal',
          securePort: { $: 8443, '@enabled': 'true' },
          dataCenterInfo: { '@class': 'com.netflix.appinfo.AmazonInfo', name: 'Amazon', metadata: { 'availability-zone': 'eu-west-1a' } },
        },
      }),
    );
    expect(instance).toMatchObject({
      hostName: 'ip-10-0-0-5.ec2.internal',
      securePort: { $: 8443, '@enabled': 'true' },
      dataCenterInfo: { '@class': 'com.netflix.appinfo.AmazonInfo', name: 'Amazon', metadata: { 'availability-zone': 'eu-west-1a' } },
      metadata: {},
    });
  });
});

describe('fullRegistry and delta', () => {
  const a = registered('ORDERS', { instance: { ...jsClientInstance, instanceId: 'a' } }, { registeredAtMs: NOW - 600_000, updatedAtMs: NOW - 600_000 });
  const b = registered(
    'ORDERS',
    { instance: { ...jsClientInstance, instanceId: 'b' } },
    { registeredAtMs: NOW - 600_000, updatedAtMs: NOW - 10_000, status: 'DRAINING' },
  );
  const c = registered(
    'PAYMENTS',
    { instance: { ...jsClientInstance, app: 'PAYMENTS', instanceId: 'c' } },
    { registeredAtMs: NOW - 5_000, updatedAtMs: NOW - 5_000 },
  );

  it('groups instances into applications and hashes every status', () => {
    const { applications } = fullRegistry([c, b, a]);
    expect(applications.apps__hashcode).toBe('OUT_OF_SERVICE_1_UP_2_');
    expect(applications.application.map((app) => [app.name, app.instance.map((i) => i.instanceId)])).toEqual([
      ['ORDERS', ['a', 'b']],
      ['PAYMENTS', ['c']],
    ]);
  });

  it("holds only the last 3 minutes' changes, ADDED or MODIFIED, with the full registry's hashcode", () => {
    const { applications } = delta([a, b, c], NOW);
    expect(applications.apps__hashcode).toBe('OUT_OF_SERVICE_1_UP_2_');
    expect(applications.application.flatMap((app) => app.instance.map((i) => [i.instanceId, i.actionType]))).toEqual([
      ['b', 'MODIFIED'],
      ['c', 'ADDED'],
    ]);
  });

  it('is an empty application list (not a missing one) when nothing changed', () => {
    expect(delta([a], NOW).applications.application).toEqual([]);
  });
});

describe('the size of a full registry', () => {
  /** A Spring-sized instance: host name, three URLs, both VIPs, one metadata key. */
  const spring = registered('ORDERS-SERVICE', {
    instance: {
      ...jsClientInstance,
      app: 'ORDERS-SERVICE',
      instanceId: '10.0.12.34:orders-service:8080',
      hostName: 'ip-10-0-12-34.eu-west-1.compute.internal',
      ipAddr: '10.0.12.34',
      vipAddress: 'orders-service',
      secureVipAddress: 'orders-service',
      homePageUrl: 'http://ip-10-0-12-34.eu-west-1.compute.internal:8080/',
      statusPageUrl: 'http://ip-10-0-12-34.eu-west-1.compute.internal:8080/actuator/info',
      healthCheckUrl: 'http://ip-10-0-12-34.eu-west-1.compute.internal:8080/actuator/health',
      metadata: { 'management.port': '8080' },
    },
  });
  /** Bytes of a Lambda response carrying `body` (the body is a JSON string in the envelope). */
  const responseBytes = (body: string) => Buffer.byteLength(JSON.stringify({ statusCode: 200, headers: { 'content-type': 'application/xml' }, body }));
  const fleet = (n: number) => Array.from({ length: n }, (_, i) => ({ ...spring, instanceId: `10.0.${i >> 8}.${i & 255}:orders-service:8080` }));

  it("fits Lambda's 6 MB response up to about 4,400 Spring-sized instances as XML and 5,500 as JSON (the README's figures)", () => {
    expect(responseBytes(toXml(fullRegistry(fleet(4_400))))).toBeLessThan(LAMBDA_RESPONSE_MAX_BYTES);
    expect(responseBytes(toXml(fullRegistry(fleet(4_700))))).toBeGreaterThan(LAMBDA_RESPONSE_MAX_BYTES);
    expect(responseBytes(JSON.stringify(fullRegistry(fleet(5_500))))).toBeLessThan(LAMBDA_RESPONSE_MAX_BYTES);
    expect(responseBytes(JSON.stringify(fullRegistry(fleet(5_800))))).toBeGreaterThan(LAMBDA_RESPONSE_MAX_BYTES);
  });
});

describe('XML', () => {
  it('reads a Eureka XML registration into the same shape as JSON', () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
      <instance><instanceId>x1</instanceId><hostName>10.0.0.5</hostName><app>ORDERS</app><ipAddr>10.0.0.5</ipAddr>
      <status>UP</status><port enabled="true">8080</port><securePort enabled="false">443</securePort>
      <vipAddress>orders</vipAddress><dataCenterInfo class="com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo"><name>MyOwn</name></dataCenterInfo>
      <leaseInfo><durationInSecs>30</durationInSecs></leaseInfo><metadata><build>007</build></metadata></instance>`;
    const plan = planRegistration('ORDERS', parseXml(xml));
    expect(registerBody.parse(plan.body)).toMatchObject({
      address: '10.0.0.5',
      port: 8080,
      leaseSeconds: 30,
      metadata: { build: '007' },
      tags: ['vip:orders'],
    });
  });

  it('writes ports with an enabled attribute, the data center class as an attribute, and escapes text', () => {
    const instance = registered('ORDERS', { instance: { ...jsClientInstance, metadata: { note: 'a<b&c', 'prometheus.io/path': '/m' } } });
    const xml = toXml(fullRegistry([instance]));
    expect(xml).toContain('<port enabled="true">8080</port>');
    expect(xml).toContain('<dataCenterInfo class="com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo"><name>MyOwn</name></dataCenterInfo>');
    expect(xml).toContain('<note>a&lt;b&amp;c</note>');
    expect(xml).toContain('<apps__hashcode>UP_1_</apps__hashcode>');
    // Not an XML element name: left out of XML (JSON keeps it).
    expect(xml).not.toContain('prometheus.io/path');
  });

  it('refuses malformed XML and DOCTYPEs (no entity expansion) with a 400 naming body', () => {
    expect(fieldsOf(() => parseXml('<instance><app>X</instance>'))).toEqual(['body']);
    expect(fieldsOf(() => parseXml('<!DOCTYPE x [<!ENTITY a "aaaa">]><instance>&a;</instance>'))).toEqual(['body']);
  });

  it('reads base64 XML bodies (how API Gateway passes non-text types) and refuses oversize and unknown types', () => {
    const xml = '<instance><app>ORDERS</app></instance>';
    expect(readEurekaBody({ body: Buffer.from(xml).toString('base64'), isBase64Encoded: true, headers: { 'content-type': 'application/xml' } })).toEqual({
      instance: { app: 'ORDERS' },
    });
    expect(fieldsOf(() => readEurekaBody({ body: 'x'.repeat(17_000), isBase64Encoded: false, headers: { 'content-type': 'application/json' } }))).toEqual([
      'body',
    ]);
    expect(fieldsOf(() => readEurekaBody({ body: 'a=b', isBase64Encoded: false, headers: { 'content-type': 'application/x-www-form-urlencoded' } }))).toEqual([
      'body',
    ]);
    expect(fieldsOf(() => readEurekaBody({ body: '{"instance":', isBase64Encoded: false, headers: { 'content-type': 'application/json' } }))).toEqual(['body']);
  });

  it('answers JSON only when Accept asks for JSON ahead of XML', () => {
    expect(wantsJson('application/json')).toBe(true);
    expect(wantsJson('application/xml, application/json')).toBe(false);
    expect(wantsJson(undefined)).toBe(false);
    expect(wantsJson('*/*')).toBe(false);
  });
});

describe('operationOf', () => {
  it('finds the operation of a route key under either root', () => {
    expect(operationOf('GET /eureka/apps/delta')?.name).toBe('Delta');
    expect(operationOf('PUT /eureka/v2/apps/{app}/{instanceId}')?.name).toBe('Heartbeat');
    expect(operationOf('GET /v1/services')).toBeUndefined();
  });
});
