import { readFile, stat } from 'node:fs/promises';
import { zipDirectory } from '@zonesim/code';
import { readResponseStream } from '../event-stream-reader.js';
import { apiFetch } from '../lambda-http.js';
import { renderTable } from '../table.js';

interface ApiAnswer {
  status: number;
  headers: Headers;
  body: string;
}

async function call(endpoint: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiAnswer> {
  const res = await apiFetch(endpoint.replace(/\/$/, '') + path, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  return { status: res.status, headers: res.headers, body: await res.text() };
}

function apiError(what: string, a: ApiAnswer): Error {
  return new Error(`${what}: HTTP ${a.status} ${a.headers.get('x-amzn-errortype') ?? ''} ${a.body}`.trim());
}

/** `zonesim deploy DIR|ZIP --name NAME`: zips a folder (or takes a zip) and creates or updates the function. */
export async function runDeployCommand(
  source: string,
  flags: { endpointUrl: string; name: string; handler: string; runtime: string; memory?: string; timeout?: string; role: string },
): Promise<number> {
  const info = await stat(source).catch(() => undefined);
  if (!info) throw new Error(`${source}: no such file or directory`);
  const zip = info.isDirectory() ? await zipDirectory(source, { ignore: (rel) => rel === '.git' || rel.startsWith('.git/') }) : await readFile(source);
  const name = encodeURIComponent(flags.name);
  const exists = (await call(flags.endpointUrl, 'GET', `/2015-03-31/functions/${name}`)).status === 200;
  let answer: ApiAnswer;
  if (exists) {
    answer = await call(flags.endpointUrl, 'PUT', `/2015-03-31/functions/${name}/code`, { ZipFile: zip.toString('base64') });
    if (answer.status !== 200) throw apiError('UpdateFunctionCode', answer);
    const config = {
      Handler: flags.handler,
      Runtime: flags.runtime,
      ...(flags.memory ? { MemorySize: Number(flags.memory) } : {}),
      ...(flags.timeout ? { Timeout: Number(flags.timeout) } : {}),
    };
    answer = await call(flags.endpointUrl, 'PUT', `/2015-03-31/functions/${name}/configuration`, config);
    if (answer.status !== 200) throw apiError('UpdateFunctionConfiguration', answer);
  } else {
    answer = await call(flags.endpointUrl, 'POST', '/2015-03-31/functions', {
      FunctionName: flags.name,
      Runtime: flags.runtime,
      Handler: flags.handler,
      Role: flags.role,
      Code: { ZipFile: zip.toString('base64') },
      ...(flags.memory ? { MemorySize: Number(flags.memory) } : {}),
      ...(flags.timeout ? { Timeout: Number(flags.timeout) } : {}),
    });
    if (answer.status !== 201) throw apiError('CreateFunction', answer);
  }
  const config = JSON.parse(answer.body) as { FunctionName: string; CodeSha256: string; CodeSize: number; State: string };
  process.stdout.write(`${exists ? 'updated' : 'created'} ${config.FunctionName}: ${config.CodeSize} bytes, CodeSha256 ${config.CodeSha256}, ${config.State}\n`);
  return 0;
}

/** `zonesim invoke NAME`: one invocation; prints the result (and the log with --tail). */
export async function runInvokeCommand(
  name: string,
  flags: { endpointUrl: string; payload: string; async?: boolean; tail?: boolean; qualifier?: string; stream?: boolean },
): Promise<number> {
  const q = flags.qualifier ? `?Qualifier=${encodeURIComponent(flags.qualifier)}` : '';
  if (flags.stream) {
    if (flags.async) throw new Error('--stream and --async cannot go together: a streamed response is a synchronous one');
    return streamInvoke(name, q, flags);
  }
  const answer = await call(flags.endpointUrl, 'POST', `/2015-03-31/functions/${encodeURIComponent(name)}/invocations${q}`, flags.payload, {
    'x-amz-invocation-type': flags.async ? 'Event' : 'RequestResponse',
    ...(flags.tail && !flags.async ? { 'x-amz-log-type': 'Tail' } : {}),
  });
  if (answer.status >= 300) throw apiError('Invoke', answer);
  if (flags.async) {
    process.stdout.write(`accepted (202), request id ${answer.headers.get('x-amzn-requestid')}\n`);
    return 0;
  }
  const log = answer.headers.get('x-amz-log-result');
  if (log) process.stderr.write(Buffer.from(log, 'base64').toString('utf8'));
  process.stdout.write(answer.body + '\n');
  const h = (k: string) => answer.headers.get(k);
  process.stderr.write(
    `version ${h('x-amz-executed-version')}, zone ${h('x-zonesim-zone')}, ${h('x-zonesim-cold') === 'true' ? 'cold' : 'warm'}, ` +
      `${h('x-zonesim-duration-ms')} ms, billed ${h('x-zonesim-billed-ms')} ms${h('x-amz-function-error') ? `, function error (${h('x-amz-function-error')})` : ''}\n`,
  );
  return h('x-amz-function-error') ? 1 : 0;
}

/**
 * `zonesim invoke NAME --stream`: InvokeWithResponseStream, the response written to stdout as its
 * chunks arrive; the log tail (`--tail`) and a function error go to stderr at the end.
 */
async function streamInvoke(name: string, q: string, flags: { endpointUrl: string; payload: string; tail?: boolean }): Promise<number> {
  const res = await apiFetch(`${flags.endpointUrl.replace(/\/$/, '')}/2021-11-15/functions/${encodeURIComponent(name)}/response-streaming-invocations${q}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(flags.tail ? { 'x-amz-log-type': 'Tail' } : {}) },
    body: flags.payload,
  });
  if (res.status >= 300 || !res.body) throw apiError('InvokeWithResponseStream', { status: res.status, headers: res.headers, body: await res.text() });
  let failed = false;
  for await (const event of readResponseStream(res.body)) {
    if (event.type === 'PayloadChunk') {
      process.stdout.write(event.payload);
      continue;
    }
    if (event.logResult) process.stderr.write(Buffer.from(event.logResult, 'base64').toString('utf8'));
    if (event.errorCode !== undefined) {
      failed = true;
      process.stderr.write(`\nfunction error ${event.errorCode}${event.errorDetails ? `: ${event.errorDetails}` : ''}\n`);
    }
  }
  process.stderr.write(`\nversion ${res.headers.get('x-amz-executed-version')}, content type ${res.headers.get('content-type')}\n`);
  return failed ? 1 : 0;
}

/** `zonesim ls`: the deployed functions. */
export async function runListCommand(flags: { endpointUrl: string; json?: boolean }): Promise<number> {
  const all: Array<Record<string, unknown>> = [];
  let marker: string | undefined;
  do {
    const answer = await call(flags.endpointUrl, 'GET', `/2015-03-31/functions${marker ? `?Marker=${encodeURIComponent(marker)}` : ''}`);
    if (answer.status !== 200) throw apiError('ListFunctions', answer);
    const page = JSON.parse(answer.body) as { Functions: Array<Record<string, unknown>>; NextMarker?: string };
    all.push(...page.Functions);
    marker = page.NextMarker;
  } while (marker);
  if (flags.json) {
    process.stdout.write(JSON.stringify(all, null, 2) + '\n');
    return 0;
  }
  process.stdout.write(renderTable(
    ['name', 'runtime', 'handler', 'memory MB', 'timeout s', 'code bytes', 'state', 'last modified'],
    all.map((f) => [String(f['FunctionName']), String(f['Runtime']), String(f['Handler']), Number(f['MemorySize']), Number(f['Timeout']), Number(f['CodeSize']), String(f['State']), String(f['LastModified'])]),
  ));
  return 0;
}
