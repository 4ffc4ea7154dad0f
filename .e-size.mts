import { registerBody } from '@service-registry/contracts';
import { planRegistration, fullRegistry } from './lambdas/connectors/eureka.js';
import { toXml } from './lambdas/connectors/eureka-xml.js';
import { draftInstance } from './lambdas/domain/instance.js';
const plan = planRegistration('ORDERS-SERVICE', { instance: { instanceId: '10.0.12.34:orders-service:8080', app: 'ORDERS-SERVICE', hostName: 'ip-10-0-12-34.eu-west-1.compute.internal', ipAddr: '10.0.12.34', port: { $: 8080, '@enabled': 'true' }, vipAddress: 'orders-service', secureVipAddress: 'orders-service', homePageUrl: 'http://ip-10-0-12-34.eu-west-1.compute.internal:8080/', statusPageUrl: 'http://ip-10-0-12-34.eu-west-1.compute.internal:8080/actuator/info', healthCheckUrl: 'http://ip-10-0-12-34.eu-west-1.compute.internal:8080/actuator/health', metadata: { 'management.port': '8080' }, dataCenterInfo: { name: 'MyOwn' } } });
const inst = { ...draftInstance({ service: plan.service, instanceId: plan.instanceId }, registerBody.parse(plan.body), 'x', Date.now()), revision: 1 };
const many = Array.from({ length: 1000 }, (_, i) => ({ ...inst, instanceId: `i-${i}` }));
const json = JSON.stringify(fullRegistry(many)); const xml = toXml(fullRegistry(many));
// Lambda counts the body as a JSON string inside the envelope: quotes escaped once more.
const env = (b: string) => Buffer.byteLength(JSON.stringify({ statusCode: 200, body: b }));
console.log('json/instance', env(json) / 1000, 'xml/instance', env(xml) / 1000, 'max json', Math.floor(6_291_556 / (env(json) / 1000)), 'max xml', Math.floor(6_291_556 / (env(xml) / 1000)));
