import { buildZip } from '@zonesim/code';

/**
 * The demo's sample function, built into a real .zip on the fly: an ES module handler with INIT
 * work at the top level and a dependency under node_modules, so a cold start is visible and the
 * package resolves its own modules like a Lambda package does.
 */
export const SAMPLE_FILES: Record<string, string> = {
  'index.mjs': `import { greet } from 'greeting';

// INIT: runs once per execution environment (a cold start), not once per invocation.
const initializedAt = new Date().toISOString();
let invocationsHere = 0;
await new Promise((resolve) => setTimeout(resolve, 40)); // pretend to open a connection pool

export const handler = async (event, context) => {
  invocationsHere += 1;
  await new Promise((resolve) => setTimeout(resolve, event.workMs ?? 15));
  console.log('handled event', event.n, 'in', process.env.AWS_LAMBDA_LOG_STREAM_NAME);
  return {
    message: greet(event.name ?? 'class'),
    n: event.n,
    invocationsHere,
    initializedAt,
    requestId: context.awsRequestId,
  };
};
`,
  'package.json': JSON.stringify({ name: 'zonesim-sample', version: '1.0.0', type: 'module' }, null, 2),
  'node_modules/greeting/package.json': JSON.stringify({ name: 'greeting', version: '1.0.0', main: 'index.js' }, null, 2),
  'node_modules/greeting/index.js': `'use strict';
exports.greet = (name) => \`Hello, \${name}, from a Lambda-style function!\`;
`,
};

/** The sample function's zip. */
export function buildSampleZip(): Promise<Buffer> | Buffer {
  return buildZip(SAMPLE_FILES);
}
