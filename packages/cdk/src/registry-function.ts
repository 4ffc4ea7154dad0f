/**
 * `RegistryFunction`: one registry Lambda function with the defaults every one of them shares, declared once
 * (runtime, architecture, memory, the prebuilt code, its log group, the Powertools and loopback settings), and
 * {@link RegistryFunction.bindTable}, which sets `TABLE_NAME` and grants the table actions together, so no function
 * gets the variable without the grant or the reverse (the Powertools example app's function construct).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { ISecurityGroup, IVpc, SubnetSelection } from 'aws-cdk-lib/aws-ec2';
import { Grant } from 'aws-cdk-lib/aws-iam';
import { Architecture, Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { SERVICE_NAME } from './alarms.js';

/**
 * The handlers, prebuilt when the package is built (packages/cdk/scripts/build-lambdas.ts): one directory per
 * handler module with its `index.mjs` bundle and source map, next to `dist/` in the package and next to `src/` in
 * the repository, so a consumer's synth bundles nothing.
 */
const LAMBDA_DIR = fileURLToPath(new URL('../lambda/', import.meta.url));

/** Timeout of a function that answers an API request (API Gateway waits 30 s at most; a route needs far less). */
const DEFAULT_TIMEOUT = Duration.seconds(10);

/** Options of {@link RegistryFunction}. */
export interface RegistryFunctionProps {
  /** The handler module whose prebuilt bundle the function runs (`register`, `discover`, `prober`, …): the package's `lambda/<handler>/index.mjs`. */
  readonly handler: string;
  /**
   * How long one invocation may run.
   * @default Duration.seconds(10) - enough for any API route
   */
  readonly timeout?: Duration;
  /**
   * Environment variables of the handler, beside the shared ones (`POWERTOOLS_SERVICE_NAME`, `POWERTOOLS_LOG_LEVEL`,
   * `NODE_OPTIONS`, `REGISTRY_ADMIN_PRINCIPALS`, `REGISTRY_ALLOW_LOOPBACK`). Use {@link RegistryFunction.bindTable}
   * for `TABLE_NAME`.
   * @default - only the shared ones
   */
  readonly environment?: { [name: string]: string };
  /**
   * Memory of the function, in MB (Lambda gives CPU in proportion).
   * @default 256
   */
  readonly memorySize?: number;
  /**
   * Retention of the function's log group.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * `REGISTRY_ADMIN_PRINCIPALS`: the admin role ARNs, comma-separated; may be a token (the registry passes a lazy
   * value, so roles given to `grantAdmin` after the function exists are included).
   * @default - no admins
   */
  readonly adminPrincipals?: string;
  /**
   * VPC of the function.
   * @default - outside any VPC
   */
  readonly vpc?: IVpc;
  /**
   * Subnets of `vpc`.
   * @default - the VPC's private subnets
   */
  readonly vpcSubnets?: SubnetSelection;
  /**
   * Security groups in `vpc`.
   * @default - a new security group with all egress allowed
   */
  readonly securityGroups?: ISecurityGroup[];
}

/** Options of {@link RegistryFunction.bindTable}. */
export interface BindTableOptions {
  /**
   * Allow the actions only on items whose partition key starts with this prefix (a `dynamodb:LeadingKeys`
   * condition, https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/specifying-conditions.html), on the
   * table alone: so a bug in the function cannot touch any other item.
   * @default - every item of the table and of its indexes
   */
  readonly leadingKeyPrefix?: string;
}

/**
 * A registry function: the prebuilt code of one handler module on nodejs22.x, arm64, 256 MB (unless `memorySize`), with its own log group
 * (a sibling named after `id` without its `Function` suffix plus `Logs`, removed with the stack) and the shared
 * environment. `ServiceRegistry` makes every function of the registry with it.
 *
 * @example
 * const fn = new RegistryFunction(this, 'DiscoverInstancesFunction', { handler: 'discover', logRetention: RetentionDays.ONE_WEEK });
 * fn.bindTable(table, ['dynamodb:Query', 'dynamodb:GetItem']); // TABLE_NAME and the grant, together
 */
export class RegistryFunction extends LambdaFunction {
  /** The handler module the function runs. */
  public readonly handlerModule: string;

  constructor(scope: Construct, id: string, props: RegistryFunctionProps) {
    super(scope, id, {
      code: prebuiltCode(props.handler),
      handler: 'index.handler',
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? DEFAULT_TIMEOUT,
      // A sibling, not a child: its construct id (and so its logical id) stays what it was before this class existed.
      logGroup: new LogGroup(scope, `${id.replace(/Function$/, '')}Logs`, {
        retention: props.logRetention ?? RetentionDays.ONE_MONTH,
        removalPolicy: RemovalPolicy.DESTROY,
      }),
      ...(props.vpc && { vpc: props.vpc }),
      ...(props.vpcSubnets && { vpcSubnets: props.vpcSubnets }),
      ...(props.securityGroups && { securityGroups: props.securityGroups }),
      environment: {
        ...props.environment,
        POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
        // The bundles ship source maps; this makes stack traces point at the TypeScript.
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        REGISTRY_ADMIN_PRINCIPALS: props.adminPrincipals ?? '',
        REGISTRY_ALLOW_LOOPBACK: 'false',
      },
    });
    this.handlerModule = props.handler;
  }

  /**
   * Points the function at `table` (`TABLE_NAME`) and grants it exactly `actions` on it: IAM actions as given
   * (e.g. `dynamodb:Query`, `dynamodb:GetItem`), on the table and its indexes, or with `leadingKeyPrefix` on the
   * table's items under that prefix only. No actions: the variable alone, and a grant that adds nothing.
   *
   * @example
   * fn.bindTable(table, ['dynamodb:PutItem'], { leadingKeyPrefix: 'HISTORY#' });
   */
  public bindTable(table: ITableV2, actions: string[], options: BindTableOptions = {}): Grant {
    this.addEnvironment('TABLE_NAME', table.tableName);
    if (actions.length === 0) return Grant.drop(this, `read ${table.node.path}`);
    if (options.leadingKeyPrefix === undefined) return table.grant(this, ...actions);
    return Grant.addToPrincipal({
      grantee: this,
      actions,
      resourceArns: [table.tableArn],
      conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${options.leadingKeyPrefix}*`] } },
    });
  }
}

/** The prebuilt bundle of a handler module, or a synth-time error saying how to build it (in this repository). */
function prebuiltCode(handler: string): Code {
  const dir = join(LAMBDA_DIR, handler);
  if (!existsSync(join(dir, 'index.mjs'))) {
    throw new Error(`@service-registry/cdk: the prebuilt code of '${handler}' is missing (${dir}); build it with \`npm run build -w @service-registry/cdk\``);
  }
  return Code.fromAsset(dir);
}
