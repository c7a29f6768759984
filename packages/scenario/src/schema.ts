import { Type, type TSchema } from '@sinclair/typebox';
import { DURATION_PATTERN } from './duration.js';

/**
 * The scenario file format as data (TypeBox, i.e. JSON Schema): the one source of truth for the
 * shape of a file. `validateShape` walks it to give errors with places; `scenarioJsonSchema()`
 * exports it for editors (`scenario.schema.json`). What a schema cannot say (references, times,
 * cycles, distributions' parameters) is checked in the resolve step.
 *
 * Two keywords of our own ride along (editors ignore unknown keywords): `x-zonesim: 'duration'`
 * marks a duration (the parser decides, the `pattern` is for editors), and `x-expect` is the
 * phrase an error uses for what was expected.
 */

const Obj = <P extends Record<string, TSchema>>(properties: P, description?: string) =>
  Type.Object(properties, { additionalProperties: false, ...(description ? { description } : {}) });

const Duration = (description: string) =>
  Type.Union([Type.String({ pattern: DURATION_PATTERN }), Type.Literal(0)], {
    description: `${description} (a duration: 500ms, 20s, 2m, 1m30s, PT1M)`,
    'x-zonesim': 'duration',
    'x-expect': 'a duration (500ms, 20s, 2m)',
  });

const Name = (description: string) => Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$', description, 'x-expect': 'a name (letters, digits, ".", "_", "-"; at most 64)' });
const FunctionName = Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$', description: 'A function name (Lambda rules: letters, digits, "-", "_"; at most 64)', 'x-expect': 'a function name (letters, digits, "-", "_")' });
const QueueName = Type.String({ pattern: '^[A-Za-z0-9_-]{1,80}$', description: 'A queue name (SQS rules: letters, digits, "-", "_"; at most 80)', 'x-expect': 'a queue name (letters, digits, "-", "_")' });
const Rate = (description: string) => Type.Number({ minimum: 0, description });
const Fraction = (description: string) => Type.Number({ minimum: 0, maximum: 1, description });
const Text = Type.String();

/** A distribution (values in ms for times, MB for memory); a bare number is a constant. */
export const DistributionSchema = Type.Union(
  [
    Type.Number({ minimum: 0, description: 'A constant' }),
    Obj({ kind: Type.Literal('constant'), value: Type.Number({ minimum: 0 }) }),
    Obj({ kind: Type.Literal('uniform'), min: Type.Number({ minimum: 0 }), max: Type.Number({ minimum: 0 }) }),
    Obj({ kind: Type.Literal('exponential'), mean: Type.Number({ exclusiveMinimum: 0 }) }),
    Obj({ kind: Type.Literal('lognormal'), median: Type.Number({ exclusiveMinimum: 0 }), p99: Type.Number({ exclusiveMinimum: 0 }) }),
    Obj({ kind: Type.Literal('weibull'), shape: Type.Number({ exclusiveMinimum: 0 }), scale: Type.Number({ exclusiveMinimum: 0 }) }),
    Obj({
      kind: Type.Literal('empirical'),
      percentiles: Type.Record(Type.String({ pattern: '^\\d+(\\.\\d+)?$' }), Type.Number({ minimum: 0 }), {
        additionalProperties: false,
        description: 'percentile (0..100) -> value, e.g. { 0: 1, 50: 4, 99: 11, 100: 453 }',
      }),
    }),
  ],
  {
    description: 'A distribution: a number (constant), or { kind: constant|uniform|exponential|lognormal|weibull|empirical, ... }',
    'x-expect': 'a number or a distribution { kind: constant|uniform|exponential|lognormal|weibull|empirical, ... }',
    'x-def': 'Distribution',
  },
);

/** `cluster.node.keepAlivePolicy` (issue 18): a name, or hybrid-histogram with settings. */
const KeepAlivePolicySchema = Type.Union(
  [
    Type.Literal('fixed'),
    Type.Literal('hybrid-histogram'),
    Obj({
      kind: Type.Literal('hybrid-histogram'),
      range: Type.Optional(Duration('Longest idle time the histogram holds; longer ones are out of range. Default 4h')),
      bin: Type.Optional(Duration('Width of one bin. Default 1m')),
      headPercentile: Type.Optional(Type.Number({ minimum: 0, maximum: 100, description: 'The pre-warm window is this percentile of the idle times, less the margin. Default 5' })),
      tailPercentile: Type.Optional(Type.Number({ minimum: 0, maximum: 100, description: 'The keep-alive window reaches this percentile, plus the margin. Default 99' })),
      margin: Type.Optional(Type.Number({ minimum: 0, exclusiveMaximum: 1, description: 'Taken off the head, added to the tail. Default 0.1' })),
      cvThreshold: Type.Optional(Type.Number({ minimum: 0, description: 'The histogram is used when the coefficient of variation of its bin counts is at least this. Default 2' })),
      minSamples: Type.Optional(Type.Integer({ minimum: 1, description: 'Idle times needed before the histogram is used. Default 10' })),
      maxOutOfRange: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: 'Share of idle times beyond the range above which the histogram is not used. Default 0.5' })),
    }),
  ],
  {
    description: 'How long environments stay after an invocation: fixed (keepAlive) or hybrid-histogram (Shahrad et al., ATC\'20: per function, from its idle times; may unload and pre-warm). Default fixed',
    'x-expect': 'fixed, hybrid-histogram, or { kind: hybrid-histogram, range?, bin?, ... }',
  },
);

const ClusterSchema = Obj(
  {
    zones: Type.Optional(
      Type.Union([Type.Array(Name('A zone name'), { minItems: 1, maxItems: 26, uniqueItems: true }), Type.Integer({ minimum: 1, maximum: 26 })], {
        description: 'Zone names, or a count (3 -> az-a, az-b, az-c). Default 3',
        'x-expect': 'a list of zone names or a zone count (1..26)',
      }),
    ),
    nodesPerZone: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'Zone nodes per zone: up to 64 in a real run (a process each), up to 1000 in virtual time. Default 1' })),
    node: Type.Optional(
      Obj(
        {
          maxEnvironments: Type.Optional(Type.Integer({ minimum: 1, description: 'Execution environments per node. Default 32' })),
          memoryMb: Type.Optional(Type.Integer({ minimum: 128, description: 'Memory budget per node, MB. Default 8192' })),
          isolation: Type.Optional(Type.Union([Type.Literal('process'), Type.Literal('worker')], { description: 'Default process' })),
          keepAlive: Type.Optional(Duration('Idle environments are kept this long (the fixed policy). Default 10m')),
          keepAlivePolicy: Type.Optional(KeepAlivePolicySchema),
        },
        'Settings of every zone node',
      ),
    ),
    heartbeat: Type.Optional(Duration('Heartbeat interval. Default 200ms')),
    missLimit: Type.Optional(Type.Integer({ minimum: 1, description: 'Missed heartbeats before a node is down. Default 4' })),
    placement: Type.Optional(Type.Union([Type.Literal('spread'), Type.Literal('pack'), Type.Literal('shuffle-shard')], { description: 'spread: warm first, then the least-used zone; pack: the busiest node with room; shuffle-shard: each function on its own shardSize nodes across zones. Default spread' })),
    shardSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'Nodes per function with placement shuffle-shard. Default 2' })),
    detector: Type.Optional(
      Type.Union([Type.Literal('heartbeat'), Type.Literal('work-aware')], {
        description: 'heartbeat: nodes are judged by their heartbeats (and refusals); work-aware: also eject a node that keeps failing the invocations it accepts (outlier ejection, as Envoy does). Default heartbeat',
      }),
    ),
    outlier: Type.Optional(
      Obj(
        {
          consecutiveFailures: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'Failures in a row that eject a node. Default 5' })),
          failurePercent: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 100, description: 'Share of failed answers within one interval that ejects a node, percent. Default 50' })),
          minRequests: Type.Optional(Type.Integer({ minimum: 1, maximum: 100000, description: 'Answers an interval needs before its share counts. Default 10' })),
          interval: Type.Optional(Duration('Length of one counting interval. Default 1s')),
          ejection: Type.Optional(Duration('The first ejection; it doubles per ejection, at most 16 times. Default 30s')),
          maxEjectedPercent: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 100, description: 'Most nodes ejected at once, percent of the live ones; one always may be. Default 10' })),
        },
        'Outlier ejection thresholds of the work-aware detector',
      ),
    ),
    headroom: Type.Optional(
      Type.Number({
        minimum: 0,
        maximum: 10,
        description: "Static-stability headroom: keep each function's recent peak concurrency x (1 + headroom) warm, spread over the zones (with 3 zones, 0.5 lets any 2 carry the peak). Default 0 (off)",
      }),
    ),
    scalingRate: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000, description: "New execution environments per function per 10 s (Lambda: 1000); past it, invocations that need one get 429. Default: 1000 or the account concurrency, whichever is higher" })),
    timeScale: Type.Optional(Type.Number({ minimum: 1, maximum: 1_000_000, description: 'Platform timer speed-up (keep-alive). Default 1' })),
    failover: Type.Optional(Type.Boolean({ description: "false: a lost zone's in-flight work is not re-dispatched (for teaching). Default true" })),
    accountConcurrency: Type.Optional(Type.Integer({ minimum: 100, description: 'Account concurrency limit. Default 1000' })),
    ledger: Type.Optional(
      Type.String({
        pattern: '^(full|aggregate|sampled:(0(\\.\\d+)?|1(\\.0+)?|\\.\\d+)(e-?\\d+)?)$',
        description: 'What the ledger files get: full (a record per attempt), sampled:RATE (a deterministic fraction) or aggregate (no records); counts, latency, time series and the bill stay exact. Default full',
        'x-expect': 'full, aggregate or sampled:RATE (0 < RATE <= 1)',
      }),
    ),
    cpuModel: Type.Optional(
      Type.Union([Type.Literal('host'), Type.Literal('lambda')], {
        description: 'lambda: each environment gets CPU in proportion to its memory, 1,769 MB = one vCPU (zone nodes need cgroups; docs/runtimes.md). Default host',
      }),
    ),
  },
  'The cluster: zones, nodes, detection, placement',
);

const functionCommon = {
  name: FunctionName,
  description: Type.Optional(Text),
  tenant: Type.Optional(
    Type.String({
      pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$',
      description: 'The customer (account) the function belongs to, for the blast radius in tenants. Default: the function name (each function its own tenant)',
    }),
  ),
  memory: Type.Optional(Type.Integer({ minimum: 128, maximum: 10_240, description: 'MemorySize in MB. Default 128' })),
  timeout: Type.Optional(Duration('Timeout, whole seconds, 1s..900s. Default 3s')),
  architecture: Type.Optional(Type.Union([Type.Literal('x86_64'), Type.Literal('arm64')], { description: 'Default x86_64' })),
  environment: Type.Optional(
    Type.Record(Type.String({ pattern: '^[A-Za-z][A-Za-z0-9_]*$' }), Type.Union([Type.String(), Type.Number(), Type.Boolean()]), {
      additionalProperties: false,
      description: 'Environment variables (numbers and booleans become strings)',
    }),
  ),
  provisionedConcurrency: Type.Optional(Type.Integer({ minimum: 0 })),
  reservedConcurrency: Type.Optional(Type.Integer({ minimum: 0 })),
  retries: Type.Optional(Type.Integer({ minimum: 0, maximum: 2, description: 'Async MaximumRetryAttempts. Default (Lambda) 2' })),
  maxEventAge: Type.Optional(Duration('Async MaximumEventAgeInSeconds, 60s..6h. Default (Lambda) 6h')),
  triggers: Type.Optional(
    Type.Array(
      Obj(
        {
          queue: QueueName,
          batchSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, description: 'BatchSize. Default (Lambda) 10; above 10 needs a batchingWindow' })),
          batchingWindow: Type.Optional(Duration('MaximumBatchingWindowInSeconds, whole seconds 0..300s. Default 0')),
          maxConcurrency: Type.Optional(Type.Integer({ minimum: 2, maximum: 1000, description: 'ScalingConfig.MaximumConcurrency. Default: none (Lambda scales to 1000)' })),
          reportBatchItemFailures: Type.Optional(Type.Boolean({ description: 'FunctionResponseTypes: [ReportBatchItemFailures]. Default false' })),
          enabled: Type.Optional(Type.Boolean({ description: 'Default true' })),
        },
        'An event source mapping from a queue of the scenario',
      ),
      { description: 'Event source mappings that invoke this function' },
    ),
  ),
};

const SyntheticSchema = Obj(
  {
    init: Type.Optional(DistributionSchema),
    duration: DistributionSchema,
    memory: Type.Optional(DistributionSchema),
    errorRate: Type.Optional(Fraction('Fraction of invocations that fail. Default 0')),
  },
  'A synthetic function: INIT and duration in ms, memory use in MB, drawn per invocation',
);

const FunctionSchema = Type.Union(
  [
    Obj(
      {
        ...functionCommon,
        path: Type.String({ minLength: 1, description: 'A folder or a .zip, relative to the scenario file' }),
        handler: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'Default index.handler' })),
        runtime: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'Default nodejs22.x' })),
      },
      'A function with real code',
    ),
    Obj({ ...functionCommon, synthetic: SyntheticSchema }, 'A synthetic function (runtime zonesim.synthetic)'),
  ],
  { 'x-expect': 'a function with path (code) or synthetic' },
);

const Process = Type.Optional(
  Type.Union([Type.Literal('poisson'), Type.Literal('even')], { description: 'Arrivals of a time-varying rate: a Poisson process, or evenly by the rate. Default poisson', 'x-def': 'ArrivalProcess' }),
);

const TraceSchema = Obj(
  {
    path: Type.String({ minLength: 1, description: 'An Azure Functions 2019 invocations-per-minute CSV, relative to the scenario file' }),
    minuteSeconds: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'Real seconds one trace minute lasts. Default 1' })),
    startMinute: Type.Optional(Type.Integer({ minimum: 1, maximum: 1440, description: 'First trace minute replayed. Default 1' })),
    scale: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'Multiplies every count. Default 1' })),
    spread: Type.Optional(Type.Union([Type.Literal('uniform'), Type.Literal('even')], { description: 'Arrivals within a minute. Default uniform' })),
    rows: Type.Optional(Obj({ skip: Type.Optional(Type.Integer({ minimum: 0 })), limit: Type.Optional(Type.Integer({ minimum: 1 })) }, 'Which data rows of the trace')),
    functions: Type.Optional(
      Type.Union([Type.Array(FunctionName, { minItems: 1 }), Type.Literal('synthetic')], {
        description: 'Scenario functions the rows go to, round-robin; or synthetic: one synthetic function per row',
        'x-expect': 'a list of function names or "synthetic"',
      }),
    ),
    durations: Type.Optional(Type.String({ minLength: 1, description: 'functions: synthetic: the durations CSV (percentiles)' })),
    memory: Type.Optional(Type.String({ minLength: 1, description: 'functions: synthetic: the memory CSV (percentiles)' })),
    synthetic: Type.Optional(
      Obj({
        init: Type.Optional(DistributionSchema),
        errorRate: Type.Optional(Fraction('Default 0')),
        memory: Type.Optional(Type.Integer({ minimum: 128, maximum: 10_240, description: 'Configured memory MB. Default: the trace p100, at least 128' })),
        timeout: Type.Optional(Duration('Default: the trace maximum, at least 3s')),
      }, 'functions: synthetic: settings the trace does not give'),
    ),
  },
  'Replay of an Azure Functions 2019 trace',
);

const ArrivalSchema = Type.Union(
  [
    Obj({ constant: Obj({ rate: Rate('Arrivals per second, evenly spaced') }) }),
    Obj({ poisson: Obj({ rate: Rate('Mean arrivals per second') }) }),
    Obj({ ramp: Obj({ from: Rate('Rate at the start, per second'), to: Rate('Rate at the end, per second'), process: Process }) }),
    Obj({
      bursts: Obj({
        base: Rate('Rate between bursts, per second'),
        burst: Rate('Rate during a burst, per second'),
        every: Duration('Time from one burst start to the next'),
        length: Duration('Length of a burst'),
        offset: Type.Optional(Duration('Start of the first burst after the entry start. Default 0')),
        process: Process,
      }),
    }),
    Obj({
      diurnal: Obj({
        mean: Rate('Mean rate, per second'),
        amplitude: Rate('Swing around the mean (at most the mean)'),
        period: Duration('One cycle'),
        peakAt: Type.Optional(Duration('Time of the peak within a cycle. Default period/2 (the cycle starts at its trough)')),
        process: Process,
      }),
    }),
    Obj({ trace: TraceSchema }),
  ],
  { 'x-expect': 'one of constant, poisson, ramp, bursts, diurnal, trace' },
);

/** How the callers of a workload entry behave: their timeout, retries and retry budget. */
const ClientSchema = Obj(
  {
    timeout: Type.Optional(Duration('The caller gives up waiting after this (ClientTimeout); the platform may still run it. Default the function timeout + 20s')),
    retries: Type.Optional(
      Obj(
        {
          max: Type.Integer({ minimum: 0, maximum: 20, description: 'Attempts after the first' }),
          on: Type.Optional(
            Type.Array(Type.Union([Type.Literal('throttle'), Type.Literal('error'), Type.Literal('timeout')]), {
              minItems: 1,
              uniqueItems: true,
              description: 'Which failures are retried: throttle (429), error (5xx, a reset or refused connection), timeout (the client timeout). Default all three',
              'x-expect': 'a list of throttle, error, timeout',
            }),
          ),
          backoff: Type.Optional(
            Obj({
              base: Duration('Wait before the first retry (before jitter). Default 100ms'),
              max: Type.Optional(Duration('Longest wait. Default 20s')),
              multiplier: Type.Optional(Type.Number({ minimum: 1, maximum: 10, description: 'Each wait is the previous one times this. Default 2' })),
            }),
          ),
          jitter: Type.Optional(Type.Union([Type.Literal('full'), Type.Literal('equal'), Type.Literal('none')], { description: 'full: a wait drawn in [0, backoff]; equal: in [backoff/2, backoff]; none. Default full (AWS Builders\' Library)' })),
        },
        'Retries of failed calls, with exponential backoff and jitter',
      ),
    ),
    budget: Type.Optional(
      Obj(
        {
          ratio: Type.Number({ minimum: 0, maximum: 10, description: 'Retries allowed per first attempt over the window (0.1: at most 10 % more calls)' }),
          minPerSecond: Type.Optional(Type.Number({ minimum: 0, description: 'Retries allowed per second whatever the ratio. Default 10' })),
          window: Type.Optional(Duration('The window the budget counts over. Default 10s')),
        },
        'A retry budget (Finagle, gRPC): past it a failed call is not retried',
      ),
    ),
  },
  'The callers: timeout, retries, retry budget',
);

const WorkloadSchema = Obj(
  {
    function: Type.Optional(FunctionName),
    queue: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{1,80}$', description: 'Instead of function: SendMessage to this queue of the scenario (its mappings invoke functions)', 'x-expect': 'a queue name' })),
    invocation: Type.Optional(Type.Union([Type.Literal('sync'), Type.Literal('async')], { description: 'RequestResponse or Event. Default sync' })),
    payload: Type.Optional(Type.Unknown({ description: 'JSON payload of every invocation (for a queue: the message body, a string as is, anything else as JSON)' })),
    start: Type.Optional(Duration('Offset in the load phase. Default 0')),
    end: Type.Optional(Duration('Offset in the load phase. Default the end of the load phase')),
    arrival: ArrivalSchema,
    client: Type.Optional(ClientSchema),
  },
  'One stream of invocations',
);

const QueueSchema = Obj(
  {
    name: QueueName,
    visibilityTimeout: Type.Optional(Duration('VisibilityTimeout, whole seconds 0..12h; at least the timeout of every function it triggers. Default (SQS) 30s')),
    delay: Type.Optional(Duration('DelaySeconds, whole seconds 0..15m. Default 0')),
    retention: Type.Optional(Duration('MessageRetentionPeriod, whole seconds 60s..14d. Default (SQS) 4 days')),
    deadLetterQueue: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{1,80}$', description: 'Another queue of the scenario: the redrive target', 'x-expect': 'a queue name' })),
    maxReceiveCount: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'Receives before a message moves to the deadLetterQueue. Default 5' })),
  },
  'A queue of the built-in queue service',
);

const ZoneOrNodeTarget = Type.Union(
  [
    Obj({ zone: Name('A zone') }),
    Obj({
      zones: Obj({
        names: Type.Optional(Type.Array(Name('A zone'), { minItems: 1, uniqueItems: true })),
        count: Type.Optional(Type.Integer({ minimum: 1 })),
        percent: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 100 })),
      }, 'Zones by name, or a count or percent chosen under the seed'),
    }),
    Obj({
      nodes: Obj({
        ids: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1, uniqueItems: true })),
        count: Type.Optional(Type.Integer({ minimum: 1 })),
        percent: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 100 })),
        zone: Type.Optional(Name('Choose only among this zone\'s nodes')),
      }, 'Nodes by id, or a count or percent chosen under the seed'),
    }),
  ],
  { 'x-expect': '{ zone: NAME }, { zones: { names | count | percent } } or { nodes: { ids | count | percent, zone? } }', 'x-def': 'ZoneOrNodeTarget' },
);

const CoordinatorTarget = Type.Literal('coordinator', { description: 'The coordinator (front door)' });

const Direction = Type.Optional(
  Type.Union([Type.Literal('both'), Type.Literal('to-zone'), Type.Literal('to-coordinator')], { description: 'Which way the link fault acts. Default both', 'x-def': 'LinkDirection' }),
);

const timing = {
  id: Name('The fault id (for after and in reports)'),
  description: Type.Optional(Text),
  at: Type.Optional(Duration('Start, from the start of the load phase')),
  after: Type.Optional(Name('Start when this fault ends')),
  delay: Type.Optional(Duration('With after: wait this long after it ends. Default 0')),
};
const lasting = { duration: Type.Optional(Duration('How long it lasts; absent = until the run ends (the runner heals every fault at the end)')) };

const FaultSchema = Type.Union(
  [
    Obj({ ...timing, action: Type.Literal('kill'), target: ZoneOrNodeTarget, restartAfter: Type.Optional(Duration('Start the node again after this long')) }, 'SIGKILL'),
    Obj({ ...timing, ...lasting, action: Type.Literal('pause'), target: ZoneOrNodeTarget }, 'SIGSTOP, then SIGCONT after duration'),
    Obj({ ...timing, ...lasting, action: Type.Literal('partition'), target: ZoneOrNodeTarget, direction: Direction }, 'Blackhole the link: bytes stop, TCP stays up'),
    Obj({ ...timing, ...lasting, action: Type.Literal('disconnect'), target: ZoneOrNodeTarget }, 'Reset the link (during duration, refuse reconnects)'),
    Obj(
      {
        ...timing,
        ...lasting,
        action: Type.Literal('latency'),
        target: ZoneOrNodeTarget,
        latency: Duration('Added delay'),
        jitter: Type.Optional(Duration('Random +- spread of the delay. Default 0')),
        direction: Direction,
      },
      'Delay on the link',
    ),
    Obj({ ...timing, ...lasting, action: Type.Literal('loss'), target: ZoneOrNodeTarget, rate: Type.Number({ exclusiveMinimum: 0, maximum: 1, description: 'Fraction of messages dropped' }), direction: Direction }, 'Message loss on the link'),
    Obj({ ...timing, ...lasting, action: Type.Literal('bandwidth'), target: ZoneOrNodeTarget, bytesPerSecond: Type.Integer({ minimum: 1 }), direction: Direction }, 'A bandwidth cap on the link'),
    Obj(
      {
        ...timing,
        ...lasting,
        action: Type.Literal('gray'),
        target: ZoneOrNodeTarget,
        slowFactor: Type.Optional(Type.Number({ minimum: 1, description: 'Invocations run this many times slower. Default 1' })),
        failRate: Type.Optional(Fraction('Fraction of invocations that fail. Default 0')),
      },
      'Heartbeats stay healthy while invocations slow down or fail',
    ),
    Obj({ ...timing, ...lasting, action: Type.Literal('brownout'), target: Type.Optional(CoordinatorTarget), failRate: Type.Number({ exclusiveMinimum: 0, maximum: 1, description: 'Fraction of API calls the front door fails' }) }, 'The front door fails a fraction of API calls'),
    Obj({ ...timing, action: Type.Literal('coordinator-restart'), target: Type.Optional(CoordinatorTarget), restartAfter: Type.Optional(Duration('Downtime before it starts again. Default 0')) }, 'Restart the coordinator'),
  ],
  { 'x-expect': 'a fault with action kill, pause, partition, disconnect, latency, loss, bandwidth, gray, brownout or coordinator-restart' },
);

const During = Type.Optional(
  Type.Union([Type.Literal('steady'), Type.Literal('faults'), Type.Literal('after'), Type.Literal('all')], {
    description: 'steady: outside fault windows and their settle time; faults: inside fault windows; after: once every fault has ended and settled (did the region recover?); all. Default steady',
    'x-def': 'During',
  }),
);
const windowed = {
  during: During,
  settle: Type.Optional(Duration('Time after a fault ends still excluded from steady. Default heartbeat x missLimit')),
  functions: Type.Optional(Type.Array(FunctionName, { minItems: 1 })),
  faults: Type.Optional(Type.Array(Name('A fault id'), { minItems: 1 })),
};
const hypothesisId = { id: Type.Optional(Name('The hypothesis id. Default its kind')), description: Type.Optional(Text) };

const HypothesisSchema = Type.Union(
  [
    Obj({ ...hypothesisId, successRate: Obj({ min: Fraction('Lowest share of ok operations'), functionErrorsFail: Type.Optional(Type.Boolean({ description: 'Count function errors as failures. Default false' })), ...windowed }) }),
    Obj({ ...hypothesisId, p99: Obj({ max: Duration('Highest p99 latency, measured from the intended send time'), ...windowed }) }),
    Obj({ ...hypothesisId, lostEvents: Obj({ max: Type.Optional(Type.Integer({ minimum: 0, description: 'Default 0' })) }) }),
    Obj({ ...hypothesisId, detection: Obj({ max: Duration('Longest time from a fault to its zone marked down'), faults: Type.Optional(Type.Array(Name('A fault id'), { minItems: 1 })) }) }),
    Obj({ ...hypothesisId, duplicates: Obj({ max: Type.Optional(Type.Integer({ minimum: 0, description: 'Default 0' })) }) }),
    Obj({ ...hypothesisId, throttles: Obj({ max: Type.Optional(Type.Integer({ minimum: 0 })), maxRate: Type.Optional(Fraction('Throttled share of operations')) }) }),
    Obj({ ...hypothesisId, deadLetters: Obj({ max: Type.Optional(Type.Integer({ minimum: 0, description: 'Default 0' })) }) }),
  ],
  { 'x-expect': 'one of successRate, p99, lostEvents, detection, duplicates, throttles, deadLetters' },
);

const stopWindow = {
  for: Duration('Sliding window the rate or p99 is measured over'),
  minOps: Type.Optional(Type.Integer({ minimum: 1, description: 'Fewer operations in the window never stop the run. Default 10' })),
};
const StopConditionSchema = Type.Union(
  [
    Obj({ id: Type.Optional(Name('Default its kind')), errorRate: Obj({ above: Fraction('Stop when the failed share is above this'), ...stopWindow }) }),
    Obj({ id: Type.Optional(Name('Default its kind')), p99: Obj({ above: Duration('Stop when p99 latency is above this'), ...stopWindow }) }),
  ],
  { 'x-expect': 'one of errorRate, p99' },
);

/** A stochastic failure process (issue 18). */
const FailureSchema = Obj(
  {
    id: Name('Names the process; its failures are <id>/<target>/<n>'),
    description: Type.Optional(Text),
    action: Type.Optional(Type.Union([Type.Literal('kill'), Type.Literal('pause')], { description: 'kill: the hosts lose power and start again after the repair time; pause: they freeze for it. Default kill' })),
    target: Type.Union([Type.Literal('nodes'), Type.Literal('zones')], { description: 'nodes: each zone node fails on its own; zones: each zone\'s nodes fail together', 'x-expect': 'nodes or zones' }),
    preset: Type.Optional(Type.String({ description: 'A fitted failure model of the Failure Trace Archive (between and repair), e.g. lanl05-weibull, skype06-lognormal, g5k06-exponential', 'x-expect': 'a preset name such as lanl05-weibull' })),
    between: Type.Optional(DistributionSchema),
    repair: Type.Optional(DistributionSchema),
    unit: Type.Optional(Type.Union([Type.Literal('ms'), Type.Literal('s'), Type.Literal('m'), Type.Literal('h')], { description: 'The unit of the numbers of between and repair. Default ms' })),
    fraction: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1, description: 'Correlated failures: one process for the region, each failure taking this fraction of the targets at once' })),
    start: Type.Optional(Duration('Failures start from here. Default 0')),
    end: Type.Optional(Duration('No failure starts after this. Default the end of the load phase')),
  },
  'Failures drawn from distributions: each target is up for a time drawn from between, then down for one drawn from repair, again and again',
);

/** The whole scenario file. */
export const ScenarioFileSchema = Obj(
  {
    $schema: Type.Optional(Type.String({ description: 'The JSON Schema this file follows (for editors)' })),
    name: Name('The scenario name (used in result directory names)'),
    description: Type.Optional(Text),
    seed: Type.Optional(Type.Union([Type.Integer(), Type.String({ minLength: 1 })], { description: 'Seed of every random choice. Default 1', 'x-expect': 'an integer or a string' })),
    mode: Type.Optional(Type.Union([Type.Literal('real'), Type.Literal('virtual')], { description: 'real: processes on the wall clock (default); virtual: the same platform code in one process on virtual time (synthetic functions only; `zonesim run --virtual`)', 'x-expect': 'real or virtual' })),
    duration: Duration('Length of the load phase'),
    slo: Type.Optional(Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1, description: 'The success-ratio objective of availability (error budget = 1 - slo of the requests). Default 0.999' })),
    warmup: Type.Optional(Duration('First part of the load phase, not judged. Default 0')),
    cooldown: Type.Optional(Duration('Time after the load phase for async events to drain. Default 10s')),
    cluster: Type.Optional(ClusterSchema),
    functions: Type.Optional(Type.Array(FunctionSchema)),
    queues: Type.Optional(Type.Array(QueueSchema)),
    workload: Type.Optional(Type.Array(WorkloadSchema)),
    faults: Type.Optional(Type.Array(FaultSchema)),
    failures: Type.Optional(Type.Array(FailureSchema)),
    hypotheses: Type.Optional(Type.Array(HypothesisSchema)),
    stopConditions: Type.Optional(Type.Array(StopConditionSchema)),
  },
  'A zonesim chaos scenario: cluster, functions, workload, faults, hypotheses',
);

/** The `$id` of the exported schema. */
export const SCENARIO_SCHEMA_ID = 'https://zonesim.dev/schemas/scenario.schema.json';

/**
 * The scenario format as a standalone JSON Schema (draft 2020-12), as written to
 * `packages/scenario/scenario.schema.json` by `npm run schema -w @zonesim/scenario`.
 */
export function scenarioJsonSchema(): Record<string, unknown> {
  // JSON round trip drops TypeBox's symbol keys, leaving plain JSON Schema.
  const plain = JSON.parse(JSON.stringify(ScenarioFileSchema)) as Record<string, unknown>;
  // Parts used many times (marked `x-def`) go to $defs once and are referenced, which keeps the
  // file small for editors; the validator walks the inline TypeBox schema instead.
  const defs: Record<string, unknown> = {};
  const hoist = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(hoist);
    if (typeof node !== 'object' || node === null) return node;
    const out = Object.fromEntries(Object.entries(node).map(([k, v]) => [k, hoist(v)]));
    const name = out['x-def'];
    if (typeof name !== 'string') return out;
    delete out['x-def'];
    defs[name] ??= out;
    return { $ref: `#/$defs/${name}` };
  };
  const body = hoist(plain) as Record<string, unknown>;
  return { $schema: 'https://json-schema.org/draft/2020-12/schema', $id: SCENARIO_SCHEMA_ID, title: 'zonesim scenario', ...body, $defs: defs };
}
