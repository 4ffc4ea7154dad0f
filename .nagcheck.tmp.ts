import { App } from 'aws-cdk-lib';
import { buildExampleStack } from './infra/example-stack.ts';
const app = new App({ context: { 'aws:cdk:bundling-stacks': [], createVpc: process.argv[2] ?? 'true' } });
buildExampleStack(app);
try { app.synth(); console.log('OK'); } catch (e) { console.log(String((e as Error).message).slice(0, 6000)); }
