/**
 * The price table the cost model uses: AWS us-east-1 list prices as published on 2026-11-01
 * (API Gateway HTTP API first tier, Lambda arm64, DynamoDB on-demand after the November 2024 reduction and
 * provisioned capacity (standard table class), EventBridge custom events and Scheduler invocations, SQS standard).
 * Sources: https://aws.amazon.com/api-gateway/pricing/, https://aws.amazon.com/lambda/pricing/,
 * https://aws.amazon.com/dynamodb/pricing/on-demand/, https://aws.amazon.com/dynamodb/pricing/provisioned/,
 * https://aws.amazon.com/eventbridge/pricing/, https://aws.amazon.com/sqs/pricing/. Update the date and figures together.
 */
export const PRICES = {
  date: '2026-11-01',
  region: 'us-east-1',
  apiGatewayHttpPerMillionRequests: 1.0,
  lambdaPerMillionRequests: 0.2,
  lambdaArmPerGbSecond: 0.0000133334,
  /** On-demand: per million write request units. */
  dynamoDbPerMillionWriteUnits: 0.625,
  /** On-demand: per million read request units. */
  dynamoDbPerMillionReadUnits: 0.125,
  /** Provisioned: per write capacity unit-hour. */
  dynamoDbPerWcuHour: 0.00065,
  /** Provisioned: per read capacity unit-hour. */
  dynamoDbPerRcuHour: 0.00013,
  eventBridgePerMillionEvents: 1.0,
  /** EventBridge Scheduler, per million scheduled invocations (a schedule per prober round). */
  eventBridgeSchedulerPerMillionInvocations: 1.0,
  sqsPerMillionRequests: 0.4,
  cloudMapPerInstanceMonth: 0.1,
} as const;
