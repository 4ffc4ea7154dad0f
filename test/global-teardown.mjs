/** Stops the DynamoDB Local that global-setup started, and waits for its process to exit. */
export default async function globalTeardown() {
  await globalThis.__dynamoDbLocal?.stop();
}
