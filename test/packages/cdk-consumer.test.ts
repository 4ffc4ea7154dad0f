/**
 * `@service-registry/cdk` used as a new CDK user uses it: the app `cdk init app --language typescript` generates (the
 * real CLI, `--generate-only`: CommonJS, TypeScript 7, tsx, jest + @swc/jest, the recommended feature flags in
 * cdk.json), the packed tarballs installed into it, imports by package name only, a stack with a VPC, grants and
 * a subscriber in a concrete env with cdk-nag's AWS Solutions checks, then the app's own `tsc`, `cdk synth` and
 * `jest`. Failing `esbuild` and `docker` come first on PATH: the synth must bundle nothing. Twice: with the
 * aws-cdk-lib/constructs a new app gets (the root's), and with the lowest the package declares.
 *
 * Every devDependency of the template is pinned to the version installed at the root (root devDependencies, some
 * as aliases: typescript-7, types-node-24, aws-cdk-lib-min, constructs-min), so its tarball is in the npm cache
 * `npm ci` filled; only package metadata may come from the registry. Timings are printed, not asserted.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { chmod, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { routes } from '../../lambdas/routes.js';
import { createProject, npmInstall, repoRoot, run, tarball, type Ran } from './support.js';

const rootRequire = createRequire(join(repoRoot, 'package.json'));
/** Version of a package installed at the root (aliases by their alias name). */
const rootVersion = (name: string): string => (rootRequire(`${name}/package.json`) as { version: string }).version;

const ACCOUNT_ENV = "{ account: '123456789012', region: 'eu-west-1' }";
const NAME = 'consumer-app';
const STACK_CLASS = 'ConsumerAppStack';
const cli = join(repoRoot, 'node_modules', 'aws-cdk', 'bin', 'cdk');
/** Bundles the package ships: one per handler module (lambdas/handlers), whether a given stack uses it or not. */
const SHIPPED = readdirSync(join(repoRoot, 'lambdas', 'handlers')).filter((f) => f.endsWith('.ts')).length;
/**
 * Functions the consumer's stack deploys: one per route handler, the prober, the publisher, the history writer, the
 * prober's scheduler (the stack puts the prober in a VPC, so a function outside it queues the rounds), and the
 * bearer-token authorizer when the route table has token routes (the `dns` option, unused here, would add its own).
 */
const DEPLOYED = new Set(routes.map((r) => r.handler)).size + 4 + (routes.some((r) => r.auth === 'token') ? 1 : 0);
/** Distinct code assets among them: the prober's scheduler runs the prober's own bundle. */
const DEPLOYED_BUNDLES = DEPLOYED - 1;

/** What the consumer's stack builds on: the registry with a VPC, two task roles with grants and a subscriber queue. */
const STACK = `import * as cdk from 'aws-cdk-lib/core';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { ServiceRegistry } from '@service-registry/cdk';

export class ${STACK_CLASS} extends cdk.Stack {
  public readonly registry: ServiceRegistry;

  constructor(scope: Construct, id: string, props?: cdk.StackProps) {
    super(scope, id, props);
    const vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'Isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 20 }],
      flowLogs: { FlowLogs: { destination: ec2.FlowLogDestination.toCloudWatchLogs() } },
    });
    this.registry = new ServiceRegistry(this, 'Registry', { vpc, probeInterval: cdk.Duration.seconds(5), tableRemovalPolicy: cdk.RemovalPolicy.DESTROY });
    const orders = new iam.Role(this, 'OrdersTaskRole', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
    const gateway = new iam.Role(this, 'GatewayTaskRole', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
    this.registry.grantRegister(orders, 'orders');
    this.registry.grantDiscover(gateway);
    const queue = this.registry.addSubscriber('Gateway', { services: ['orders'] });
    queue.grantConsumeMessages(gateway);
    new cdk.CfnOutput(this, 'RegistryUrl', { value: this.registry.apiUrl });
  }
}
`;

const bin = (nag: boolean) => `#!/usr/bin/env node
import * as cdk from 'aws-cdk-lib/core';
${nag ? "import { AwsSolutionsChecks } from 'cdk-nag';\n" : ''}import { ${STACK_CLASS} } from '../lib/${NAME}-stack';

const app = new cdk.App();
${nag ? "// cdk-nag's AWS Solutions rules: a finding the construct does not acknowledge fails the synth.\ncdk.Validations.of(app).addPlugins(new AwsSolutionsChecks(app));\n" : ''}new ${STACK_CLASS}(app, '${STACK_CLASS}', { env: ${ACCOUNT_ENV} });
`;

/**
 * The template's unit test, instantiating the construct; it records for the report how long building the stack
 * took and how long `Template.fromStack` (the synth, with aws-cdk-lib's built-in template validation) took.
 */
const UNIT_TEST = `import * as cdk from 'aws-cdk-lib/core';
import { Template } from 'aws-cdk-lib/assertions';
import { writeFileSync } from 'node:fs';
import { ${STACK_CLASS} } from '../lib/${NAME}-stack';

test('Registry functions created from the prebuilt code', () => {
  const started = performance.now();
  const app = new cdk.App();
  const stack = new ${STACK_CLASS}(app, 'MyTestStack', { env: ${ACCOUNT_ENV} });
  const built = performance.now();
  const template = Template.fromStack(stack);
  writeFileSync('unit-test-ms.json', JSON.stringify({ stackMs: Math.round(built - started), templateMs: Math.round(performance.now() - built) }));
  template.resourcePropertiesCountIs('AWS::Lambda::Function', { Handler: 'index.handler', Runtime: 'nodejs22.x' }, ${DEPLOYED});
  template.hasResourceProperties('AWS::ApiGatewayV2::Stage', { StageName: '$default' });
});
`;

const CDK_CONTEXT = JSON.stringify({ 'availability-zones:account=123456789012:region=eu-west-1': ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'] }, null, 2);

/** Our declarations under the strictest consumer settings; aws-cdk-lib's own do not hold under exactOptionalPropertyTypes. */
const STRICT_TSCONFIG = JSON.stringify({ extends: './tsconfig.json', compilerOptions: { exactOptionalPropertyTypes: true, skipLibCheck: false } }, null, 2);

/** A command that must never run: it leaves a mark and fails. */
const failingTool = (mark: string) => `#!/bin/sh\necho "$0 $*" >> '${mark}'\nexit 1\n`;

/** 'ok', or the exit code and the end of the output (so a failing expectation shows why). */
const ok = (r: Ran) => (r.code === 0 ? 'ok' : { code: r.code, output: `${r.stdout}\n${r.stderr}`.slice(-4000) });
const sha256 = async (path: string) =>
  createHash('sha256')
    .update(await readFile(path))
    .digest('hex');

interface Variant {
  readonly label: string;
  readonly awsCdkLib: string;
  readonly constructs: string;
  /** `--no-staging`: the asset manifest then names the sources themselves. */
  readonly staging: boolean;
  /** With cdk-nag's AWS Solutions checks (cdk-nag 3 itself needs constructs 10.5.1 or later). */
  readonly nag: boolean;
}

const VARIANTS: Variant[] = [
  { label: 'aws-cdk-lib of a new app', awsCdkLib: rootVersion('aws-cdk-lib'), constructs: rootVersion('constructs'), staging: true, nag: true },
  { label: 'lowest supported aws-cdk-lib', awsCdkLib: rootVersion('aws-cdk-lib-min'), constructs: rootVersion('constructs-min'), staging: false, nag: false },
];

describe.each(VARIANTS)('a cdk init TypeScript app with @service-registry/cdk ($label: aws-cdk-lib $awsCdkLib, constructs $constructs)', (variant) => {
  let project: Awaited<ReturnType<typeof createProject>>;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let marks: string;
  const timings: Record<string, number | string> = {};

  beforeAll(async () => {
    project = await createProject('cdk', {});
    dir = join(project.dir, NAME);
    await mkdir(dir);
    const init = await run(process.execPath, [cli, 'init', 'app', '--language', 'typescript', '--generate-only', '--no-notices'], {
      cwd: dir,
      timeoutMs: 60_000,
    });
    expect(ok(init)).toBe('ok');

    // The template's package.json, with every range pinned to the version the npm cache holds.
    const pkgPath = join(dir, 'package.json');
    const pkg = JSON.parse(await readFile(pkgPath, 'utf8')) as { devDependencies: Record<string, string>; dependencies: Record<string, string> };
    const cached: Record<string, string> = { typescript: rootVersion('typescript-7'), '@types/node': rootVersion('types-node-24') };
    for (const name of Object.keys(pkg.devDependencies)) pkg.devDependencies[name] = cached[name] ?? rootVersion(name);
    pkg.dependencies = { 'aws-cdk-lib': variant.awsCdkLib, constructs: variant.constructs, ...(variant.nag && { 'cdk-nag': rootVersion('cdk-nag') }) };
    await writeFile(pkgPath, JSON.stringify(pkg, null, 2));
    // The template's tsconfig, strict (it is) and checking every declaration, ours included.
    const tsconfigPath = join(dir, 'tsconfig.json');
    const tsconfig = JSON.parse(await readFile(tsconfigPath, 'utf8')) as { compilerOptions: Record<string, unknown> };
    expect(tsconfig.compilerOptions).toMatchObject({ strict: true, module: 'NodeNext' });
    tsconfig.compilerOptions.skipLibCheck = false;
    await writeFile(tsconfigPath, JSON.stringify(tsconfig, null, 2));
    await writeFile(join(dir, 'tsconfig.strict.json'), STRICT_TSCONFIG);
    // A VPC in a concrete env asks for the Region's zones; an app keeps the answer of its first (credentialed) synth
    // in cdk.context.json, which lets every later synth run offline.
    await writeFile(join(dir, 'cdk.context.json'), CDK_CONTEXT);
    await writeFile(join(dir, 'bin', `${NAME}.ts`), bin(variant.nag));
    await writeFile(join(dir, 'lib', `${NAME}-stack.ts`), STACK);
    await writeFile(join(dir, 'test', `${NAME}.test.ts`), UNIT_TEST);

    const started = Date.now();
    const install = await npmInstall(dir, [tarball('@service-registry/contracts'), tarball('@service-registry/cdk')]);
    timings.installMs = Date.now() - started;
    expect(ok(install)).toBe('ok');

    // esbuild and Docker that fail, and say so, if anything calls them.
    const fakeBin = join(project.dir, 'fake-bin');
    marks = join(project.dir, 'called.txt');
    await mkdir(fakeBin);
    for (const tool of ['esbuild', 'docker']) {
      await writeFile(join(fakeBin, tool), failingTool(marks));
      await chmod(join(fakeBin, tool), 0o755);
    }
    env = { PATH: `${fakeBin}:${process.env.PATH}`, CDK_DOCKER: join(fakeBin, 'docker'), CDK_DISABLE_VERSION_CHECK: 'true', CDK_DISABLE_CLI_TELEMETRY: 'true' };
  }, 300_000);

  afterAll(async () => {
    console.log(`@service-registry/cdk consumer (${variant.label}): ${JSON.stringify(timings)}`);
    await project?.remove();
  });

  it('is a CommonJS app generated by cdk init, with its recommended feature flags (partition literals included)', async () => {
    const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8'));
    expect(pkg.type).toBeUndefined();
    const cdkJson = JSON.parse(await readFile(join(dir, 'cdk.json'), 'utf8'));
    expect(cdkJson.app).toBe(`npx tsc && npx tsx bin/${NAME}.ts`);
    expect(cdkJson.context['@aws-cdk/core:enablePartitionLiterals']).toBe(true);
    expect(rootRequire(join(dir, 'node_modules', 'typescript', 'package.json')).version).toMatch(/^7\./);
  });

  it('type-checks with the app tsconfig (strict, skipLibCheck off)', async () => {
    const tsc = await run(join(dir, 'node_modules', '.bin', 'tsc'), ['-p', '.', '--pretty', 'false'], { cwd: dir, env, timeoutMs: 120_000 });
    expect(ok(tsc)).toBe('ok');
  }, 120_000);

  it('has declarations that hold under exactOptionalPropertyTypes: every error there is aws-cdk-lib’s own', async () => {
    const tsc = await run(join(dir, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.strict.json', '--pretty', 'false'], { cwd: dir, env, timeoutMs: 120_000 });
    const errors = `${tsc.stdout}${tsc.stderr}`.split('\n').filter((line) => /error TS\d+/.test(line));
    expect(errors.filter((line) => line.includes('@service-registry'))).toEqual([]);
    // Outside aws-cdk-lib's declarations, only assignments of its classes to its interfaces (a Vpc to IVpc) fail.
    const elsewhere = errors.filter((line) => !line.startsWith('node_modules/aws-cdk-lib/') && !line.includes('exactOptionalPropertyTypes'));
    expect(elsewhere).toEqual([]);
    timings.strictTscErrorsInAwsCdkLib = errors.length;
  }, 120_000);

  it('imports by package name from ESM too', async () => {
    const esm = await run(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        "import { ServiceRegistry, ProberNetwork } from '@service-registry/cdk'; if (typeof ServiceRegistry !== 'function' || typeof ProberNetwork !== 'function') process.exit(1);",
      ],
      { cwd: dir, env },
    );
    expect(ok(esm)).toBe('ok');
  });

  it('synthesizes with cdk synth (cdk-nag clean where checked), from the prebuilt Lambda code, calling neither esbuild nor Docker', async () => {
    const started = Date.now();
    const synth = await run(join(dir, 'node_modules', '.bin', 'cdk'), ['synth', '-q', '--no-notices', ...(variant.staging ? [] : ['--no-staging'])], {
      cwd: dir,
      env,
      timeoutMs: 180_000,
    });
    timings.synthMs = Date.now() - started;
    expect(ok(synth)).toBe('ok');
    await expect(readFile(marks, 'utf8')).rejects.toThrow(/ENOENT/);

    const prebuilt = join(dir, 'node_modules', '@service-registry', 'cdk', 'lambda');
    const handlers = (await readdir(prebuilt, { withFileTypes: true }))
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
    expect(handlers).toHaveLength(SHIPPED);
    const manifest = JSON.parse(await readFile(join(dir, 'cdk.out', `${STACK_CLASS}.assets.json`), 'utf8'));
    const zips = Object.values(manifest.files as Record<string, { source: { path: string; packaging?: string } }>)
      .filter((f) => f.source.packaging === 'zip')
      .map((f) => f.source.path);
    if (variant.staging) {
      // Staged copies (cdk.out/asset.<hash>) of exactly the package's directories: the same code, byte for byte.
      const shipped = new Set(await Promise.all(handlers.map((h) => sha256(join(prebuilt, h, 'index.mjs')))));
      // (The other zip is aws-cdk-lib's AwsCustomResource provider, index.js.)
      const bundles = zips.map((p) => join(dir, 'cdk.out', p, 'index.mjs')).filter((path) => existsSync(path));
      const staged = await Promise.all(bundles.map(sha256));
      expect(new Set(staged).size).toBe(DEPLOYED_BUNDLES);
      for (const hash of staged) expect(shipped).toContain(hash);
    } else {
      const used = zips.filter((p) => p.includes('@service-registry'));
      expect(new Set(used).size).toBe(DEPLOYED_BUNDLES);
      for (const path of used) expect(handlers.map((h) => join(prebuilt, h))).toContain(path);
    }
  }, 180_000);

  it("runs the template's jest unit test, instantiating the construct", async () => {
    const started = Date.now();
    const jest = await run(join(dir, 'node_modules', '.bin', 'jest'), [], { cwd: dir, env, timeoutMs: 120_000 });
    timings.jestMs = Date.now() - started;
    expect(ok(jest)).toBe('ok');
    Object.assign(timings, JSON.parse(await readFile(join(dir, 'unit-test-ms.json'), 'utf8')));
    const du = await run('du', ['-sk', join(dir, 'node_modules', '@service-registry', 'cdk')], { cwd: dir });
    timings.installedKb = du.stdout.split('\t')[0]!;
    await expect(readFile(marks, 'utf8')).rejects.toThrow(/ENOENT/);
  }, 120_000);
});
