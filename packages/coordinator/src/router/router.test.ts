/**
 * The router with real node sessions, membership and pending invocations, in-process: each fake
 * node is a NodeSession over a fake socket whose `invoke` frames a script answers (issue 15: a node
 * that refuses work must not black-hole a function, and one that keeps refusing becomes suspect).
 */
import t, { type Test } from 'tap';
import { ManualClock, silentLogger, seededEntropy } from '@zonesim/common';
import { msgpackCodec, PROTOCOL_VERSION, type FunctionSpec, type Invoke, type InvokeResult, type LinkConnection, type ZoneMessage } from '@zonesim/protocol';
import { Membership } from '../membership/membership.js';
import { NodeSession } from '../membership/node-session.js';
import { ConcurrencyLimits } from '../concurrency/concurrency-limits.js';
import { ThrottleCause, Throttles, throttleError } from '../invocation/throttles.js';
import { WarmFirstSpreadPolicy, type PlacementPolicy } from './placement.js';
import { Router, type PlacementThrottles, type RouteTrace } from './router.js';

const SPEC: FunctionSpec = {
  specKey: 'fn:1',
  functionName: 'fn',
  version: '$LATEST',
  functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:fn',
  codeSha256Hex: 'a'.repeat(64),
  handler: 'index.handler',
  runtime: 'nodejs20.x',
  memoryMb: 128,
  timeoutSec: 3,
  architecture: 'x86_64',
  environment: {},
  region: 'us-east-1',
};

/** What a node answers to one invoke: frames, sent on the next turn. */
type Script = (invoke: Invoke) => ZoneMessage[];

const serve: Script = (m) => [{ type: 'invoke-accepted', invocationId: m.invocationId }, result(m)];
const refuseWith = (code: string, afterAccept = false): Script => (m) => [
  ...(afterAccept ? [{ type: 'invoke-accepted' as const, invocationId: m.invocationId }] : []),
  { type: 'invoke-rejected', invocationId: m.invocationId, error: { code, message: 'no' } },
];

function result(m: Invoke): InvokeResult {
  return {
    type: 'invoke-result',
    invocationId: m.invocationId,
    outcome: 'success',
    payload: new TextEncoder().encode('"ok"'),
    placement: { zone: 'z', nodeId: 'n', environmentId: 'e-1', cold: true },
    timings: { receivedAt: 0, startedAt: 0, endedAt: 1, durationMs: 1, billedMs: 1, maxMemoryUsedMb: 10 },
    environmentKept: false,
  } as unknown as InvokeResult;
}

interface Cluster {
  clock: ManualClock;
  membership: Membership;
  router: Router;
  add(nodeId: string, zone: string, script: Script, capacity?: { memoryMb: number; maxEnvironments: number }): NodeSession & { offers: number };
  route(trace?: RouteTrace): Promise<InvokeResult>;
  /** Advances the clock in 100 ms steps, every node sending a frame each step (none goes silent). */
  pass(ms: number): void;
}

function cluster(t: Test, settings: { refusalProbationMs?: number; policy?: PlacementPolicy; throttles?: PlacementThrottles } = {}): Cluster {
  const clock = new ManualClock();
  const log = silentLogger();
  const membership = new Membership({ clock, log, settings: { heartbeatIntervalMs: 200, heartbeatMissLimit: 4, refusalSuspectLimit: 3, refusalProbationMs: settings.refusalProbationMs ?? 10_000 } });
  membership.start();
  t.teardown(() => membership.stop());
  const router = new Router({
    membership,
    entropy: seededEntropy('router-test'),
    policy: settings.policy ?? new WarmFirstSpreadPolicy(),
    settings: { placementTimeoutMs: 1_000, maxPendingInvocations: 100, initTimeoutMs: 1_000, invokeGraceMs: 1_000, acceptWindowMs: 800 },
    throttles: settings.throttles ?? new Throttles({ concurrency: new ConcurrencyLimits() }),
    clock,
    log,
  });
  let n = 0;
  const nodes: NodeSession[] = [];
  return {
    pass(ms) {
      for (let at = 0; at < ms; at += 100) {
        clock.advance(100);
        for (const s of nodes) s.receive({ type: 'pong', seq: 0, sentAt: 0 });
      }
    },
    clock,
    membership,
    router,
    add(nodeId, zone, script, capacity = { memoryMb: 4096, maxEnvironments: 4 }) {
      let session: NodeSession & { offers: number };
      const connection: LinkConnection = {
        bufferedAmount: 0,
        send(data: Uint8Array) {
          const m = msgpackCodec.decode(data) as Invoke;
          if (m.type !== 'invoke') return;
          session.offers++;
          setImmediate(() => {
            for (const frame of script(m)) session.receive(frame);
          });
        },
        close() {},
        terminate() {},
      };
      session = Object.assign(
        new NodeSession({
          sessionId: `s-${nodeId}`,
          hello: { type: 'hello', protocolVersion: PROTOCOL_VERSION, clusterToken: 'x', zone, nodeId, capacity, isolation: 'process', runtimes: [] },
          connection,
          codec: msgpackCodec,
          clock,
          log,
          highWaterBytes: 1 << 20,
        }),
        { offers: 0 },
      );
      membership.add(session);
      nodes.push(session);
      return session;
    },
    route: (trace) =>
      router.route({ requestId: `r-${++n}`, spec: SPEC, payload: new Uint8Array(), invokedFunctionArn: SPEC.functionArn, logTail: false, ...(trace ? { trace } : {}) }),
  };
}

t.test('a refusal with an unknown code is placed on another node, not failed', async (t) => {
  const c = cluster(t);
  const liar = c.add('liar', 'az-a', refuseWith('NO_CAPACITY'));
  c.add('real', 'az-b', serve);
  const trace: RouteTrace = {};
  // The liar sorts first among idle nodes half of the time; route until it has been offered one.
  for (let i = 0; i < 4 && liar.offers === 0; i++) t.equal((await c.route(trace)).outcome, 'success');
  t.ok(liar.offers > 0, 'the liar was offered work');
  t.match(trace.steps?.find((s) => s.nodeId === 'liar'), { outcome: 'refused', code: 'NO_CAPACITY' });
});

t.test('known refusals before acceptance and capacity refusals after it go elsewhere', async (t) => {
  for (const [code, afterAccept] of [['NODE_AT_CAPACITY', false], ['CODE_UNAVAILABLE', false], ['NODE_AT_CAPACITY', true], ['WHATEVER', true]] as const) {
    const c = cluster(t);
    const refuser = c.add('refuser', 'az-a', refuseWith(code, afterAccept));
    c.add('real', 'az-b', serve);
    for (let i = 0; i < 4 && refuser.offers === 0; i++) t.equal((await c.route()).outcome, 'success', `${code} after accept: ${afterAccept}`);
    t.ok(refuser.offers > 0);
  }
});

t.test('a platform failure after acceptance reaches the caller (a gray failure stays visible)', async (t) => {
  const c = cluster(t);
  c.add('gray', 'az-a', refuseWith('ENVIRONMENT_FAILED', true));
  await t.rejects(c.route(), { name: 'LambdaApiError', type: 'ServiceException', status: 500 });
});

t.test('a node that keeps refusing work others run becomes suspect, is skipped, then gets a probation', async (t) => {
  const c = cluster(t);
  // It advertises far more room than the real node: that must not buy it every new invocation.
  const liar = c.add('liar', 'az-a', refuseWith('NODE_AT_CAPACITY'), { memoryMb: 1 << 30, maxEnvironments: 100_000 });
  const real = c.add('real', 'az-b', serve);
  const traces: RouteTrace[] = [];
  // Each invocation is new to both nodes (the real one keeps no environment), so each is a cold placement.
  for (let i = 0; i < 12; i++) {
    const trace: RouteTrace = {};
    traces.push(trace);
    t.equal((await c.route(trace)).outcome, 'success');
  }
  t.equal(liar.health, 'suspect');
  t.equal(liar.suspectReason, 'refusing');
  t.equal(liar.offers, 3, 'three refusals, then it is skipped');
  t.equal(real.offers, 12);
  t.match(c.membership.zones().find((z) => z.zone === 'az-a'), { health: 'suspect', nodes: [{ suspectReason: 'refusing', refusals: { inARow: 3, total: 3, lastCode: 'NODE_AT_CAPACITY', probationEndsInMs: 10_000 } }] });
  const noted = traces.flatMap((tr) => tr.steps ?? []).filter((s) => s.note);
  t.equal(noted.length, 1, 'the refusal that made it suspect says so in the explain steps');
  t.match(noted[0]?.note, /liar is now suspect/);

  // Its heartbeats keep coming: frames answer silence, not refusals.
  c.pass(9_900);
  t.equal(liar.health, 'suspect', 'still suspect while it talks');

  // Probation after 10 s: chosen again, and one more refusal makes it suspect for twice as long.
  c.pass(200);
  t.equal(liar.health, 'healthy', 'on probation');
  for (let i = 0; i < 4 && liar.offers === 3; i++) t.equal((await c.route()).outcome, 'success');
  t.equal(liar.offers, 4);
  t.equal(liar.health, 'suspect', 'suspect again after one refusal');
  t.match(liar.view().refusals, { inARow: 3, total: 4, probationEndsInMs: 20_000 });
});

t.test('refusals while no other node can take the work do not make a node suspect', async (t) => {
  const c = cluster(t);
  const only = c.add('only', 'az-a', refuseWith('NODE_AT_CAPACITY'));
  for (let i = 0; i < 4; i++) {
    const routed = c.route();
    // No other node: the invocation waits for room (a refusal frees none), then is throttled.
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    c.pass(1_000);
    await t.rejects(routed, { name: 'LambdaApiError', type: 'TooManyRequestsException', status: 429 });
  }
  // One offer before the wait and one when the wait ends: a refusal emits no 'capacity', which would
  // wake the waiting invocation straight back onto the node that refused it, again and again.
  t.equal(only.offers, 8);
  t.equal(only.health, 'healthy');
  t.equal(only.refusals.total, 0);
});

t.test('a node that serves between refusals is not suspected', async (t) => {
  const c = cluster(t);
  let i = 0;
  // Refuses two of every three invocations it is offered, and serves the third.
  const flaky = c.add('flaky', 'az-a', (m) => (++i % 3 === 0 ? serve(m) : refuseWith('NODE_AT_CAPACITY')(m)));
  c.add('real', 'az-b', serve);
  for (let k = 0; k < 20; k++) await c.route();
  t.ok(flaky.offers >= 6, `offered ${flaky.offers}`);
  t.equal(flaky.health, 'healthy');
  t.ok(flaky.refusals.inARow < 3);
});

t.test("each offer's reason is the placement policy's own, after the router's cause for offering again", async (t) => {
  const inner = new WarmFirstSpreadPolicy();
  const policy: PlacementPolicy = {
    name: 'custom',
    choose: (request, candidates) => inner.choose(request, candidates),
    explain: (_request, node) => `custom pick ${node.nodeId}`,
  };
  const c = cluster(t, { policy });
  const refuser = c.add('refuser', 'az-a', refuseWith('NODE_AT_CAPACITY'));
  c.add('real', 'az-b', serve);
  let trace: RouteTrace = {};
  for (let i = 0; i < 4 && refuser.offers === 0; i++) {
    trace = {};
    t.equal((await c.route(trace)).outcome, 'success');
  }
  const steps = trace.steps ?? [];
  t.equal(steps[0]?.reason, 'custom pick refuser');
  t.equal(steps[1]?.reason, 'placed again after refuser refused it (NODE_AT_CAPACITY); custom pick real');
});

t.test('the router asks the throttles before a new environment only, and answers their 429', async (t) => {
  const asked: string[] = [];
  let refuse = false;
  const throttles: PlacementThrottles = {
    newEnvironment: (fn) => {
      asked.push(fn);
      return refuse ? throttleError(ThrottleCause.ScalingRate) : undefined;
    },
    noRoom: () => throttleError(ThrottleCause.NoRoom),
  };
  const c = cluster(t, { throttles });
  // This node keeps each environment warm after its invocation.
  c.add('real', 'az-a', (m) => [{ type: 'invoke-accepted', invocationId: m.invocationId }, { ...result(m), environmentKept: true }]);
  t.equal((await c.route()).outcome, 'success');
  t.same(asked, ['fn'], 'a cold placement takes a scaling token');
  t.equal((await c.route()).outcome, 'success');
  t.same(asked, ['fn'], 'a warm one does not');
  const busy = c.route();
  refuse = true;
  await t.rejects(c.route(), { name: 'LambdaApiError', status: 429, type: 'TooManyRequestsException', extra: { Reason: 'FunctionInvocationRateLimitExceeded' } }, "the throttles' 429 reaches the caller");
  t.equal((await busy).outcome, 'success');
});

t.test('a freed environment wakes the oldest waiting invocations, not all of them, and they run in arrival order', async (t) => {
  // Counts the router's placement attempts: waking every waiter would make each completion cost
  // one attempt per waiting invocation (thousands in a retry storm).
  const spread = new WarmFirstSpreadPolicy();
  let choices = 0;
  const policy: PlacementPolicy = { name: spread.name, choose: (r, c) => (choices++, spread.choose(r, c)), explain: (r, n) => spread.explain(r, n) };
  const c = cluster(t, { policy });
  const held: Invoke[] = [];
  const node = c.add('one', 'az-a', (m) => {
    held.push(m);
    return [{ type: 'invoke-accepted', invocationId: m.invocationId }];
  }, { memoryMb: 4096, maxEnvironments: 1 });
  const finish = (): void => {
    const m = held.shift()!;
    node.receive(result(m));
  };
  const order: number[] = [];
  const routed = Array.from({ length: 6 }, (_, i) => c.route().then(() => order.push(i)));
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  t.equal(node.offers, 1, 'one runs, five wait');
  t.equal(c.router.waiting, 5);
  for (let i = 1; i <= 5; i++) {
    const before = choices;
    finish();
    for (let k = 0; k < 4; k++) await new Promise((r) => setImmediate(r));
    t.equal(node.offers, i + 1, `completion ${i}: exactly one more placed`);
    t.ok(choices - before <= 2, `completion ${i}: ${choices - before} placement attempts (at most 2 woken)`);
    t.equal(c.router.waiting, 5 - i, 'the others keep waiting');
  }
  finish();
  await Promise.all(routed);
  t.same(order, [0, 1, 2, 3, 4, 5], 'first come, first served');
});
