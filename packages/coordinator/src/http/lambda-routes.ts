import type { ApiServerDeps } from './api-server.js';
import { handleAccountSettings, handleFunctionConcurrency, type ConcurrencyRouteDeps } from './concurrency-routes.js';
import { handleEventInvokeConfig, handleListEventInvokeConfigs } from './event-invoke-config-routes.js';
import {
  handleCreateFunction,
  handleDeleteFunction,
  handleGetConfiguration,
  handleGetFunction,
  handleListFunctions,
  handleUpdateCode,
  handleUpdateConfiguration,
  type FunctionRouteDeps,
} from './function-routes.js';
import { handleInvoke } from './invoke-route.js';
import { handleInvokeWithResponseStream } from './invoke-stream-route.js';
import { LAYER_POLICY_PATH, handleLayerPolicy } from './layer-policy-routes.js';
import { LAYERS_PATH, handleLayers } from './layer-routes.js';
import { POLICY_PATH, handlePolicy } from './policy-routes.js';
import { PROVISIONED_CONCURRENCY_PATH, handleProvisionedConcurrency } from './provisioned-concurrency-routes.js';
import { row, type RouteRow } from './route-table.js';
import { handleTags } from './tag-routes.js';
import { handleVersionsAndAliases } from './version-alias-routes.js';

/** A path parameter as the handlers take it: one segment, percent-decoded. */
const decoded = (raw: string): string => decodeURIComponent(raw);

/**
 * The Lambda REST API's rows (lambda-facts 2): every one signed, every one subject to an injected
 * brownout. Operations on one resource that share a handler (versions and aliases, tags,
 * provisioned concurrency, event invoke configs) take every method and tell them apart there.
 */
export function lambdaRoutes(deps: ApiServerDeps, fn: FunctionRouteDeps): RouteRow[] {
  const account = deps.account;
  const registryDeps = { registry: deps.registry, account };
  const concurrencyDeps: ConcurrencyRouteDeps = {
    registry: deps.registry,
    concurrency: deps.concurrency,
    account,
    maxZipBytes: deps.maxZipBytes,
    maxUnzippedBytes: deps.maxUnzippedBytes,
  };
  const provisionedDeps = { provisioned: deps.provisioned, account };
  const eventInvokeDeps = { ...registryDeps, now: () => deps.clock.now() };
  const api = (methods: string | readonly string[] | '*', path: RegExp, handle: RouteRow['handle']): RouteRow => row(methods, path, 'signed', true, handle);
  return [
    api('POST', /^\/2015-03-31\/functions\/?$/, (c) => handleCreateFunction(fn, c.req, c.res, c.requestId)),
    api('GET', /^\/2015-03-31\/functions\/?$/, (c) => handleListFunctions(fn, c.res, c.target.query, c.requestId)),
    api('POST', /^\/2015-03-31\/functions\/([^/]+)\/invocations$/, (c) => handleInvoke(deps, c.req, c.res, decoded(c.params[0]!), c.target.query, c.requestId)),
    api('POST', /^\/2021-11-15\/functions\/([^/]+)\/response-streaming-invocations$/, (c) =>
      handleInvokeWithResponseStream(deps, c.req, c.res, decoded(c.params[0]!), c.target.query, c.requestId)),
    api('GET', /^\/2015-03-31\/functions\/([^/]+)$/, (c) => handleGetFunction(fn, c.res, decoded(c.params[0]!), c.target.query, c.requestId)),
    api('DELETE', /^\/2015-03-31\/functions\/([^/]+)$/, (c) => handleDeleteFunction(fn, c.res, decoded(c.params[0]!), c.target.query, c.requestId)),
    api('GET', /^\/2015-03-31\/functions\/([^/]+)\/configuration$/, (c) => handleGetConfiguration(fn, c.res, decoded(c.params[0]!), c.target.query, c.requestId)),
    api('PUT', /^\/2015-03-31\/functions\/([^/]+)\/configuration$/, (c) => handleUpdateConfiguration(fn, c.req, c.res, decoded(c.params[0]!), c.requestId)),
    api('PUT', /^\/2015-03-31\/functions\/([^/]+)\/code$/, (c) => handleUpdateCode(fn, c.req, c.res, decoded(c.params[0]!), c.requestId)),
    api('*', /^\/2015-03-31\/functions\/([^/]+)\/((?:versions|aliases)(?:\/.*)?)$/, (c) =>
      handleVersionsAndAliases(registryDeps, c.req, c.res, c.method, decoded(c.params[0]!), c.params[1]!.split('/'), c.target.query, c.requestId)),
    api(['PUT', 'DELETE'], /^\/2017-10-31\/functions\/([^/]+)\/concurrency$/, (c) =>
      handleFunctionConcurrency(concurrencyDeps, c.req, c.res, c.method, decoded(c.params[0]!), c.requestId)),
    api('GET', /^\/2019-09-30\/functions\/([^/]+)\/concurrency$/, (c) =>
      handleFunctionConcurrency(concurrencyDeps, c.req, c.res, c.method, decoded(c.params[0]!), c.requestId)),
    api('*', PROVISIONED_CONCURRENCY_PATH, (c) =>
      handleProvisionedConcurrency(provisionedDeps, c.req, c.res, c.method, decoded(c.params[0]!), c.target.query, c.requestId)),
    api(['POST', 'GET', 'DELETE'], LAYER_POLICY_PATH, (c) =>
      handleLayerPolicy({ layers: deps.registry.layers }, c.req, c.res, c.method, c.params[0]!, c.params[1]!, c.params[2] === '' ? undefined : c.params[2], c.target.query, c.requestId)),
    api(['POST', 'GET', 'DELETE'], LAYERS_PATH, (c) =>
      handleLayers(
        // A base64 body of a zip at the size limit, with room for the JSON around it.
        { layers: deps.registry.layers, jobs: deps.registry.jobs, apiUrl: fn.apiUrl, maxBodyBytes: Math.ceil((deps.maxZipBytes * 4) / 3) + 64 * 1024 },
        c.req, c.res, c.method, c.params[0] === '' ? undefined : c.params[0], c.params[1] === '' ? undefined : c.params[1], c.target.query, c.requestId,
      )),
    api(['POST', 'GET', 'DELETE'], POLICY_PATH, (c) =>
      handlePolicy(registryDeps, c.req, c.res, c.method, decoded(c.params[0]!), c.params[1] === '' ? undefined : c.params[1], c.target.query, c.requestId)),
    api('*', /^\/2017-03-31\/tags\/(.+)$/, (c) => handleTags(registryDeps, c.req, c.res, c.method, decoded(c.params[0]!), c.target.query, c.requestId)),
    api('GET', /^\/2016-08-19\/account-settings\/?$/, (c) => handleAccountSettings(concurrencyDeps, c.res, c.requestId)),
    api('GET', /^\/2019-09-25\/functions\/(.+)\/event-invoke-config\/list$/, (c) =>
      handleListEventInvokeConfigs(registryDeps, c.res, decoded(c.params[0]!), c.requestId)),
    api('*', /^\/2019-09-25\/functions\/(.+)\/event-invoke-config$/, (c) =>
      handleEventInvokeConfig(eventInvokeDeps, c.req, c.res, c.method, decoded(c.params[0]!), c.target.query, c.requestId)),
  ];
}
