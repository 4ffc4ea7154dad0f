/**
 * The price table the cost model uses: AWS us-east-1 list prices, on demand, as published on 2026-11-01
 * (API Gateway HTTP API first tier, Lambda arm64, DynamoDB on-demand after the November 2024 reduction,
 * EventBridge custom events, SQS standard). Update the date and figures together.
 */
export const PRICES = {
  date: '2026-11-01',
  region: 'us-east-1',
  apiGatewayHttpPerMillionRequests: 1.0,
  lambdaPerMillionRequests: 0.2,
  lambdaArmPerGbSecond: 0.0000133334,
  dynamoDbPerMillionWriteUnits: 0.625,
  dynamoDbPerMillionReadUnits: 0.125,
  eventBridgePerMillionEvents: 1.0,
  sqsPerMillionRequests: 0.4,
  cloudMapPerInstanceMonth: 0.1,
} as const;
