/**
 * The prober's network when it runs in a VPC: a DynamoDB gateway endpoint (so the prober reaches the table from
 * private or isolated subnets without a NAT gateway) and a security group whose egress is limited to the
 * addresses the prober may probe plus DynamoDB. Together with `REGISTRY_ALLOW_CIDRS` this keeps the prober from
 * being pointed at arbitrary internal hosts: the address policy refuses them, and the network would not carry
 * the connection anyway.
 */
import { Aws } from 'aws-cdk-lib';
import {
  GatewayVpcEndpoint,
  GatewayVpcEndpointAwsService,
  Peer,
  Port,
  SecurityGroup,
  type ISecurityGroup,
  type IVpc,
  type SubnetSelection,
} from 'aws-cdk-lib/aws-ec2';
import { AwsCustomResource, AwsCustomResourcePolicy, PhysicalResourceId } from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';

export interface ProberNetworkProps {
  /** The VPC the prober runs in. */
  readonly vpc: IVpc;
  /**
   * Subnets of the prober's network interfaces (and of the DynamoDB gateway endpoint's route tables).
   * @default - the VPC's private subnets
   */
  readonly vpcSubnets?: SubnetSelection;
  /** When given, used as they are (their egress is the caller's business). */
  readonly securityGroups?: ISecurityGroup[];
  /** Where probes may go (IPv4 or IPv6 CIDRs; tokens allowed). */
  readonly allowedCidrs: string[];
  /** Add a DynamoDB gateway endpoint to the subnets' route tables. */
  readonly dynamoDbEndpoint: boolean;
}

/**
 * @example
 * const network = new ProberNetwork(this, 'ProberNetwork', { vpc, allowedCidrs: [vpc.vpcCidrBlock], dynamoDbEndpoint: true });
 */
export class ProberNetwork extends Construct {
  /** The security groups the prober runs with. */
  public readonly securityGroups: ISecurityGroup[];
  /** The DynamoDB gateway endpoint, unless the caller said the VPC has one. */
  public readonly dynamoDbEndpoint?: GatewayVpcEndpoint;

  constructor(scope: Construct, id: string, props: ProberNetworkProps) {
    super(scope, id);
    const subnets = props.vpcSubnets ?? {};
    if (props.dynamoDbEndpoint) {
      // Gateway endpoints are free and add a route to DynamoDB's prefix list in each route table. The policy stays
      // the default (full access): the route applies to every workload in those subnets, not only the prober.
      this.dynamoDbEndpoint = new GatewayVpcEndpoint(this, 'DynamoDbEndpoint', {
        vpc: props.vpc,
        service: GatewayVpcEndpointAwsService.DYNAMODB,
        subnets: [subnets],
      });
    }
    if (props.securityGroups) {
      this.securityGroups = props.securityGroups;
      return;
    }
    const group = new SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'Registry prober: egress only to the probe-able CIDRs and to DynamoDB',
      allowAllOutbound: false,
    });
    for (const cidr of props.allowedCidrs) {
      group.addEgressRule(cidr.includes(':') ? Peer.ipv6(cidr) : Peer.ipv4(cidr), Port.allTcp(), 'Probes (HTTP, HTTPS and TCP checks)');
    }
    group.addEgressRule(Peer.prefixList(this.dynamoDbPrefixListId()), Port.tcp(443), 'DynamoDB through the gateway endpoint');
    // No rule is needed for DNS: security groups do not filter traffic to the Route 53 Resolver at VPC+2
    // (https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html, "Limitations").
    this.securityGroups = [group];
  }

  /**
   * The id of the AWS-managed prefix list `com.amazonaws.<region>.dynamodb` (the addresses a gateway endpoint
   * routes). CloudFormation exposes no attribute for it, so it is read with `DescribeManagedPrefixLists` at deploy
   * time; a synth-time lookup would need credentials, and synth stays offline.
   */
  private dynamoDbPrefixListId(): string {
    const lookup = new AwsCustomResource(this, 'DynamoDbPrefixList', {
      onUpdate: {
        service: 'EC2',
        action: 'describeManagedPrefixLists',
        parameters: { Filters: [{ Name: 'prefix-list-name', Values: [`com.amazonaws.${Aws.REGION}.dynamodb`] }] },
        physicalResourceId: PhysicalResourceId.of(`dynamodb-prefix-list-${Aws.REGION}`),
        outputPaths: ['PrefixLists.0.PrefixListId'],
      },
      // Describe* actions support no resource-level permissions.
      policy: AwsCustomResourcePolicy.fromSdkCalls({ resources: AwsCustomResourcePolicy.ANY_RESOURCE }),
      installLatestAwsSdk: false,
    });
    return lookup.getResponseField('PrefixLists.0.PrefixListId');
  }
}
