/**
 * Defaults for running the Lambda code locally. Imported first by the local runtime, because the handlers' shared
 * Powertools logger and metrics read their settings when their module is first evaluated.
 * - Logs at WARN (the runtime prints its own access log); metrics off (EMF lines are for CloudWatch).
 * - The SDK's notice about Node 20 is silenced: the functions run on nodejs22.x in AWS.
 */
process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export {};
