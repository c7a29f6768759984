import { readFile } from 'node:fs/promises';
import { buildZip, zipDirectory } from '@zonesim/code';
import type { Clock } from '@zonesim/common';
import { syntheticPackageJson, SYNTHETIC_FILE, type ResolvedFunction } from '@zonesim/scenario';
import type { ApiClient } from '../client/api-client.js';
import { sleep } from '../clock-wait.js';

/** The alias a function with provisioned concurrency is invoked through. */
export const PROVISIONED_ALIAS = 'live';

/** What the load driver needs to invoke a deployed function. */
export interface DeployedFunction {
  /** The name to invoke, with `:live` when it has provisioned concurrency. */
  invokeName: string;
  timeoutMs: number;
}

async function packageOf(fn: ResolvedFunction): Promise<Buffer> {
  if (fn.kind === 'synthetic') return Buffer.from(await buildZip({ [SYNTHETIC_FILE]: syntheticPackageJson(fn) }));
  if (fn.packaging === 'zip') return readFile(fn.path);
  return zipDirectory(fn.path, { ignore: (rel) => rel === '.git' || rel.startsWith('.git/') || rel === 'node_modules/.cache' });
}

async function expect(client: ApiClient, what: string, method: string, path: string, body: unknown, ok: number[]): Promise<any> {
  const r = await client.json(method, path, body);
  if (!ok.includes(r.status)) throw new Error(`${what} failed: HTTP ${r.status} ${JSON.stringify(r.body).slice(0, 500)}`);
  return r.body;
}

/**
 * Creates a scenario's functions through the Lambda API, as a user would: CreateFunction from the
 * folder, zip or synthetic definition, then reserved concurrency, async settings, and provisioned
 * concurrency on a published version behind the alias `live` (waiting until it is READY, so the
 * run starts with it allocated).
 */
export async function deployFunctions(
  client: ApiClient,
  functions: readonly ResolvedFunction[],
  options: {
    /** Waits for provisioned concurrency pass on it. */
    clock: Clock;
    signal?: AbortSignal;
    /** How long provisioned concurrency may take to be READY. @default 120000 */
    provisionedTimeoutMs?: number;
    /** Wraps the packaging's file I/O (a virtual world holds its clock meanwhile). @default as is */
    io?: <T>(work: Promise<T>) => Promise<T>;
  },
): Promise<Map<string, DeployedFunction>> {
  const clock = options.clock;
  const deployed = new Map<string, DeployedFunction>();
  for (const fn of functions) {
    options.signal?.throwIfAborted();
    const zip = await (options.io ?? ((w) => w))(packageOf(fn));
    const name = encodeURIComponent(fn.name);
    await expect(client, `CreateFunction ${fn.name}`, 'POST', '/2015-03-31/functions', {
      FunctionName: fn.name,
      Runtime: fn.runtime,
      Handler: fn.handler,
      Role: 'arn:aws:iam::000000000000:role/zonesim-scenario',
      MemorySize: fn.memoryMb,
      Timeout: fn.timeoutSec,
      Architectures: [fn.architecture],
      ...(Object.keys(fn.environment).length > 0 ? { Environment: { Variables: fn.environment } } : {}),
      ...(fn.description ? { Description: fn.description.slice(0, 256) } : {}),
      Code: { ZipFile: zip.toString('base64') },
    }, [201]);
    if (fn.reservedConcurrency !== undefined) {
      await expect(client, `PutFunctionConcurrency ${fn.name}`, 'PUT', `/2017-10-31/functions/${name}/concurrency`, { ReservedConcurrentExecutions: fn.reservedConcurrency }, [200]);
    }
    if (fn.retries !== undefined || fn.maxEventAgeSec !== undefined) {
      await expect(client, `PutFunctionEventInvokeConfig ${fn.name}`, 'PUT', `/2019-09-25/functions/${name}/event-invoke-config`, {
        ...(fn.retries !== undefined ? { MaximumRetryAttempts: fn.retries } : {}),
        ...(fn.maxEventAgeSec !== undefined ? { MaximumEventAgeInSeconds: fn.maxEventAgeSec } : {}),
      }, [200]);
    }
    let invokeName = fn.name;
    if (fn.provisionedConcurrency !== undefined && fn.provisionedConcurrency > 0) {
      const version = (await expect(client, `PublishVersion ${fn.name}`, 'POST', `/2015-03-31/functions/${name}/versions`, {}, [201])).Version as string;
      await expect(client, `CreateAlias ${fn.name}`, 'POST', `/2015-03-31/functions/${name}/aliases`, { Name: PROVISIONED_ALIAS, FunctionVersion: version }, [201]);
      await expect(client, `PutProvisionedConcurrencyConfig ${fn.name}`, 'PUT', `/2019-09-30/functions/${name}/provisioned-concurrency?Qualifier=${PROVISIONED_ALIAS}`, {
        ProvisionedConcurrentExecutions: fn.provisionedConcurrency,
      }, [202]);
      const deadline = clock.now() + (options.provisionedTimeoutMs ?? 120_000);
      for (;;) {
        const status = await expect(client, `GetProvisionedConcurrencyConfig ${fn.name}`, 'GET', `/2019-09-30/functions/${name}/provisioned-concurrency?Qualifier=${PROVISIONED_ALIAS}`, undefined, [200]);
        if (status.Status === 'READY') break;
        if (status.Status === 'FAILED') throw new Error(`provisioned concurrency of ${fn.name} FAILED: ${status.StatusReason ?? ''}`);
        if (clock.now() > deadline) throw new Error(`provisioned concurrency of ${fn.name} not READY in time (${status.AllocatedProvisionedConcurrentExecutions}/${fn.provisionedConcurrency})`);
        await sleep(clock, 100);
      }
      invokeName = `${fn.name}:${PROVISIONED_ALIAS}`;
    }
    // A cold start may add INIT (up to 10 s) and the answer the platform's grace before it gives up.
    deployed.set(fn.name, { invokeName, timeoutMs: fn.timeoutSec * 1000 + 20_000 });
  }
  return deployed;
}
