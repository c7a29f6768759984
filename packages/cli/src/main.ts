import { Command, Option } from 'commander';

// Each command's module is loaded when that command runs, not before: a zone node then loads the
// zone node's code only (not the coordinator's, the runner's, the report's), which keeps its heap
// small, and so its forks of execution environments cheap (fork copies the parent's page tables).

/** Collects a repeatable option's values. */
function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Prints a usage error; the exit code of bad input. */
function usage(message: string): number {
  process.stderr.write(`${message}\n`);
  return 2;
}

/** Default API port of `zonesim up` (a fixed port, so a class can bookmark the URL). */
export const DEFAULT_UP_PORT = '4599';

/**
 * The `zonesim` command line. It only parses flags into options and calls the commands; each
 * command owns its process's lifecycle. Resolves with the exit code, or undefined for commands that
 * keep running (servers) until a signal.
 */
export async function main(argv: string[]): Promise<number | undefined> {
  let exitCode: number | undefined;
  const program = new Command()
    .name('zonesim')
    .description('A Lambda-style function platform across simulated availability zones that fail on purpose.')
    .showHelpAfterError()
    .exitOverride();

  program
    .command('up')
    .description('start a coordinator and one zone-node process per zone on this machine; Ctrl-C stops them all')
    .option('--zones <n>', 'number of zones (az-a, az-b, ...)', '3')
    .option('--zone-names <list>', 'comma-separated zone names (overrides --zones)')
    .option('--nodes-per-zone <n>', 'zone-node processes per zone', '1')
    .option('--host <host>', 'interface the API listens on', '127.0.0.1')
    .option('--port <port>', 'API port (0 picks a free one)', DEFAULT_UP_PORT)
    .option('--data-dir <dir>', 'state, code and logs (default: a new temporary directory, named on start)')
    .addOption(new Option('--isolation <mode>', 'how environments are isolated').choices(['process', 'worker']))
    .option('--max-environments <n>', 'environments per zone node')
    .option('--spare-runtimes <n>', 'Node runtimes each zone node keeps started ahead of cold starts (0: none)')
    .addOption(new Option('--sandbox <mode>', 'bubblewrap + cgroups around environments: auto (what the machine has), on (refuse to start without), off').choices(['auto', 'on', 'off']))
    .addOption(new Option('--cpu-model <model>', 'lambda: CPU in proportion to memory (1,769 MB = one vCPU, needs cgroups); host: no CPU limit').choices(['host', 'lambda']))
    .option('--memory-mb <mb>', 'memory per zone node for environments')
    .option('--keep-alive-ms <ms>', 'idle time before a warm environment is evicted')
    .option('--keep-alive-policy <policy>', "fixed (each environment kept --keep-alive-ms), or hybrid-histogram[:name=value,...] (ATC'20: per-function idle-time histograms; may unload and pre-warm)")
    .addOption(new Option('--placement <policy>', 'placement policy').choices(['spread', 'pack', 'shuffle-shard']))
    .option('--shard-size <n>', 'nodes per function with --placement shuffle-shard (default 2)')
    .addOption(new Option('--detector <kind>', 'failure detector: heartbeat, or work-aware (also ejects nodes that keep failing the work they accept)').choices(['heartbeat', 'work-aware']))
    .option('--heartbeat-ms <ms>', 'heartbeat interval (detection takes about 4 of them)')
    .option('--time-scale <factor>', 'speed up the platform\'s own timers (async retries, event age) by this factor')
    .option('--access-key-id <id>', 'require SigV4-signed API requests made with this key (or set ZONESIM_ACCESS_KEY_ID)')
    .option('--secret-access-key <secret>', 'the secret of --access-key-id (or set ZONESIM_SECRET_ACCESS_KEY)')
    .option('--insecure-no-auth', 'allow a non-loopback --host without an access key (anyone who can reach it can run code)')
    .option('--allowed-host <name>', 'a Host name unsigned callers may use besides IPs and localhost (repeatable; .example.com allows subdomains)', collect, [])
    .option('--max-connections <n>', 'open HTTP connections at most (the longest-idle is closed to make room)')
    .option('--stream-response-limit <bytes>', 'largest streamed response before Function.ResponseSizeTooLarge (default 20971520)')
    .option('--image-dir <dir>', 'a directory whose images (OCI layouts, image tarballs) ImageUri may name by path (repeatable; default: uploaded images only)', collect, [])
    .option('--verbose', 'show the processes\' logs instead of writing them to files')
    .option('--open', 'print the live dashboard\'s URL and open it in a browser (xdg-open) where possible')
    .addOption(new Option('--dashboard-controls <mode>', 'the dashboard\'s fault controls: auto (on for loopback or with SigV4) or off').choices(['auto', 'off']))
    .action(async (flags) => (await import('./commands/up.js')).runUpCommand(flags));

  program
    .command('coordinator')
    .description('run one coordinator (the Lambda API and the zone link) in this process')
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--port <port>', 'port (0 picks a free one)', '0')
    .option('--data-dir <dir>', 'state and code', '.zonesim/coordinator')
    .option('--token <token>', 'cluster token (or set ZONESIM_CLUSTER_TOKEN)')
    .option('--token-file <path>', 'read the cluster token from this file (mode 0600), instead of the environment')
    .option('--region <region>', 'region in ARNs')
    .option('--heartbeat-ms <ms>', 'heartbeat interval')
    .option('--miss-limit <n>', 'missed heartbeats before a node is down')
    .option('--refusal-limit <n>', 'refusals in a row of work other nodes ran before a node is suspect')
    .option('--refusal-probation-ms <ms>', 'how long a node suspected for refusing is skipped before its probation')
    .addOption(new Option('--detector <kind>', 'failure detector: heartbeat, or work-aware (also ejects nodes that keep failing the work they accept)').choices(['heartbeat', 'work-aware']))
    .option('--outlier-consecutive-failures <n>', 'work-aware: failures in a row that eject a node (default 5)')
    .option('--outlier-failure-percent <p>', 'work-aware: share of failures within an interval that ejects a node (default 50)')
    .option('--outlier-min-requests <n>', 'work-aware: answers an interval needs before its share counts (default 10)')
    .option('--outlier-interval-ms <ms>', 'work-aware: length of one counting interval (default 1000)')
    .option('--outlier-ejection-ms <ms>', 'work-aware: the first ejection\'s length; it doubles per ejection (default 30000)')
    .option('--outlier-max-ejected-percent <p>', 'work-aware: most nodes ejected at once, percent of the live ones; one always may be (default 10)')
    .addOption(new Option('--placement <policy>', 'placement policy').choices(['spread', 'pack', 'shuffle-shard']))
    .option('--shard-size <n>', 'nodes per function with --placement shuffle-shard (default 2)')
    .option('--headroom <fraction>', 'static stability: keep each function\'s recent peak concurrency x (1 + fraction) warm across the zones (0: off)')
    .option('--headroom-window-ms <ms>', 'the window of that peak (default 60000)')
    .option('--time-scale <factor>', 'speed up the platform\'s own timers (async retries, event age) by this factor')
    .option('--placement-timeout-ms <ms>', 'how long an invocation waits for capacity before it is throttled')
    .option('--account-concurrency <n>', 'the account\'s concurrency limit (Lambda: 1000)')
    .option('--scaling-rate <n>', 'new execution environments per function per 10 s (Lambda: 1000)')
    .option('--no-failover', 'teaching switch: do not place work lost with a zone elsewhere, drop async events lost with it')
    .addOption(new Option('--dashboard-controls <mode>', 'the dashboard\'s fault controls: auto (on for loopback or with SigV4) or off').choices(['auto', 'off']))
    .addOption(new Option('--supervised', 'started by zonesim up/demo/run with an IPC channel').hideHelp())
    .option('--access-key-id <id>', 'require SigV4-signed API requests made with this key (or set ZONESIM_ACCESS_KEY_ID)')
    .option('--secret-access-key <secret>', 'the secret of --access-key-id (or set ZONESIM_SECRET_ACCESS_KEY)')
    .option('--insecure-no-auth', 'allow a non-loopback --host without an access key (anyone who can reach it can run code)')
    .option('--allowed-host <name>', 'a Host name unsigned callers may use besides IPs and localhost (repeatable; .example.com allows subdomains)', collect, [])
    .option('--max-connections <n>', 'open HTTP connections at most (the longest-idle is closed to make room)')
    .option('--headers-timeout-ms <ms>', 'time a client has to send a request\'s headers (408 past it)')
    .option('--request-timeout-ms <ms>', 'time a client has to send a whole request (408 past it)')
    .option('--keep-alive-timeout-ms <ms>', 'an idle keep-alive connection is closed after this long')
    .option('--image-dir <dir>', 'a directory whose images (OCI layouts, image tarballs) ImageUri may name by path (repeatable; default: uploaded images only)', collect, [])
    .option('--upload-workers <n>', 'worker threads that check and store uploaded packages and build images, off the event loop')
    .option('--max-queued-uploads <n>', 'upload jobs waiting for a worker before more are refused with 429')
    .option('--stream-response-limit <bytes>', 'largest streamed response (InvokeWithResponseStream, RESPONSE_STREAM URLs) before Function.ResponseSizeTooLarge (default 20971520)')
    .option('--ledger-detail <level>', 'what the ledger files get: full, sampled:RATE (a deterministic fraction) or aggregate (none); counts, latency and the bill stay exact')
    .addOption(new Option('--exit-with-parent', 'exit when stdin closes').hideHelp())
    .action(async (flags) => (await import('./commands/coordinator.js')).runCoordinatorCommand(flags));

  program
    .command('zone')
    .description('run one zone node that joins a coordinator')
    .requiredOption('--coordinator <url>', 'the coordinator\'s zone link, ws://HOST:PORT/zonesim/v1/zone-link')
    .requiredOption('--zone <name>', 'zone (failure domain) of this node')
    .option('--node-id <id>', 'node id, unique in the cluster')
    .option('--token <token>', 'cluster token (or set ZONESIM_CLUSTER_TOKEN)')
    .option('--token-file <path>', 'read the cluster token from this file (mode 0600), instead of the environment')
    .option('--data-dir <dir>', 'code cache directory', '.zonesim/zone')
    .option('--memory-mb <mb>', 'memory offered to environments')
    .option('--max-environments <n>', 'most environments alive at once')
    .addOption(new Option('--isolation <mode>', 'how environments are isolated').choices(['process', 'worker']))
    .option('--spare-runtimes <n>', 'Node runtimes kept started ahead of cold starts (process isolation; 0: none)')
    .addOption(new Option('--sandbox <mode>', 'bubblewrap + cgroups around environments: auto (what the machine has), on (refuse to start without), off').choices(['auto', 'on', 'off']))
    .addOption(new Option('--cpu-model <model>', 'lambda: CPU in proportion to memory (1,769 MB = one vCPU, needs cgroups); host: no CPU limit').choices(['host', 'lambda']))
    .option('--pids-max <n>', 'most processes and threads in one sandboxed environment (Lambda: 1024)')
    .option('--memory-poll-ms <ms>', 'how often a busy environment\'s RSS is sampled against its memory size')
    .option('--keep-alive-ms <ms>', 'idle time before a warm environment is evicted')
    .option('--keep-alive-policy <policy>', "fixed (each environment kept --keep-alive-ms), or hybrid-histogram[:name=value,...] (ATC'20: per-function idle-time histograms; may unload and pre-warm)")
    .option('--time-scale <factor>', 'speed up this node\'s platform timers (keep-alive) by this factor')
    .option('--reconnect-min-ms <ms>', 'first redial delay after the link drops')
    .option('--reconnect-max-ms <ms>', 'longest redial delay')
    .addOption(new Option('--exit-with-parent', 'exit when stdin closes').hideHelp())
    .action(async (flags) => {
      const code = await (await import('./commands/zone.js')).runZoneCommand(flags);
      if (typeof code === 'number') exitCode = code;
    });

  program
    .command('demo')
    .description('the failover demo: a 3-zone cluster under steady load, one zone killed mid-run and restarted, the report and the verdict')
    .option('--zones <n>', 'number of zones', '3')
    .option('--duration <s>', 'seconds of load (a zone fails a third of the way in)', '24')
    .addOption(new Option('--isolation <mode>', 'how environments are isolated').choices(['process', 'worker']))
    .option('--out <dir>', 'results directory (default results/demo-<time>/)')
    .option('--quiet', 'no progress line')
    .option('--dashboard', 'with the live dashboard: its URL printed (and opened where possible) at the start, the cluster kept up at the end')
    .option('--hold <s>', 'with --dashboard: seconds the cluster stays up after the run', '30')
    .action(async (flags) => {
      exitCode = await (await import('./commands/demo.js')).runDemoCommand(flags);
    });

  program
    .command('zones')
    .description('show zones and zone nodes with their health')
    .option('--endpoint-url <url>', 'the coordinator\'s API', `http://127.0.0.1:${DEFAULT_UP_PORT}`)
    .option('--json', 'print JSON')
    .action(async (flags) => {
      exitCode = await (await import('./commands/zones.js')).runZonesCommand(flags);
    });

  const endpoint = `http://127.0.0.1:${DEFAULT_UP_PORT}`;
  program
    .command('deploy')
    .description('zip a folder (or take a .zip) and create or update a function')
    .argument('<source>', 'a folder or a .zip file')
    .requiredOption('--name <name>', 'function name')
    .option('--handler <handler>', 'file.export', 'index.handler')
    .option('--runtime <runtime>', 'Lambda runtime', 'nodejs20.x')
    .option('--memory <mb>', 'memory size, MB')
    .option('--timeout <s>', 'timeout, seconds')
    .option('--role <arn>', 'execution role (not enforced)', 'arn:aws:iam::000000000000:role/zonesim')
    .option('--endpoint-url <url>', 'the coordinator\'s API', endpoint)
    .action(async (source: string, flags) => {
      exitCode = await (await import('./commands/functions.js')).runDeployCommand(source, flags);
    });
  program
    .command('invoke')
    .description('invoke a function and print its result')
    .argument('<name>', 'function name, name:qualifier or ARN')
    .option('--payload <json>', 'the event', '{}')
    .option('--qualifier <q>', 'version or alias')
    .option('--async', 'an Event invocation (202, queued)')
    .option('--tail', 'print the invocation\'s log')
    .option('--stream', 'InvokeWithResponseStream: print the response as its chunks arrive')
    .option('--endpoint-url <url>', 'the coordinator\'s API', endpoint)
    .action(async (name: string, flags) => {
      exitCode = await (await import('./commands/functions.js')).runInvokeCommand(name, flags);
    });
  program
    .command('ls')
    .description('list the deployed functions')
    .option('--json', 'print JSON')
    .option('--endpoint-url <url>', 'the coordinator\'s API', endpoint)
    .action(async (flags) => {
      exitCode = await (await import('./commands/functions.js')).runListCommand(flags);
    });

  program
    .command('logs')
    .description('print a function\'s log lines (one log stream per execution environment); --follow keeps printing new ones')
    .argument('<name>', 'function name')
    .option('-f, --follow', 'keep polling for new lines until Ctrl-C')
    .option('--since <when>', 'only lines from this long ago (10m, 90s, 2h, 1d) or this date')
    .option('--stream <name>', 'only this log stream')
    .addOption(new Option('--format <format>', 'line format').choices(['detailed', 'short']).default('detailed'))
    .option('--poll-ms <ms>', 'with --follow: how often to poll', '500')
    .option('--endpoint-url <url>', 'the coordinator\'s API', endpoint)
    .action(async (name: string, flags) => {
      exitCode = await (await import('./commands/logs.js')).runLogsCommand(name, flags);
    });

  program
    .command('report')
    .description('rebuild a run\'s reports from a coordinator\'s data directory: summary.json, timeseries.csv, report.html, and a summary table')
    .argument('<data-dir>', 'the coordinator\'s data directory (holds ledger/)')
    .option('--out <dir>', 'where to write the files (default: DATA_DIR/report)')
    .option('--prices <file>', 'a price table file (default: the shipped us-east-1 prices)')
    .option('--free-tier', 'apply the monthly free tier')
    .option('--json', 'print the summary and the file paths as JSON')
    .action(async (dataDir: string, flags) => {
      exitCode = await (await import('./commands/report.js')).runReportCommand(dataDir, flags);
    });

  program
    .command('run')
    .description('run a chaos scenario (YAML): a cluster, load, faults; exit 0 when every hypothesis holds, 1 when one fails')
    .argument('<file>', 'a scenario file, e.g. sim-scenarios/az-power-loss.yaml')
    .option('--out <dir>', 'results directory (default results/<scenario>-<time>/)')
    .option('--quiet', 'no progress line')
    .option('--json', 'print the verdict and the check as JSON')
    .option('--quick', 'a short form: the timeline (load, faults, cooldown) at half length; rates and thresholds as written')
    .option('--time-factor <f>', 'multiply the timeline by this factor (--quick is 0.5)')
    .option('--virtual', 'run in virtual time: the same platform code in this one process on a simulated clock and network (synthetic functions only; also `mode: virtual` in the file)')
    .option('--check-determinism', 'with --virtual: run twice with the same seed and compare the digests of history and ledger')
    .option('--seed <seed>', 'override the scenario\'s seed')
    .option('--set <field=value>', 'set a field of the scenario over the file\'s value, e.g. cluster.heartbeat=100ms or functions[0].memory=512 (repeatable; recorded in run.json)', collect, [])
    .action(async (file: string, flags) => {
      exitCode = await (await import('./commands/run.js')).runRunCommand(file, flags);
    });
  program
    .command('sweep')
    .description('run a scenario over a grid of settings times N seeds (virtual time by default) and write runs.csv, cells.csv (mean, sd, 95% interval per cell) and study.json; `zonesim sweep merge DIR... --out DIR` combines shards')
    .argument('<file>', 'a scenario file, or `merge` followed by the shards\' directories')
    .argument('[dirs...]', 'with `merge`: the directories of the shards (--shard I/N) to combine')
    .option('--set <field=values>', 'one axis of the grid: a scenario field and its values, comma-separated, e.g. cluster.heartbeat=100ms,200ms,400ms (repeatable)', collect, [])
    .option('--seeds <n>', 'runs per cell, with the seeds SEED, SEED+1, ... from the scenario\'s own', '1')
    .option('--jobs <n>', 'runs at once (default: the number of cores in virtual time, 1 with --real)')
    .option('--real', 'real processes instead of virtual time')
    .option('--out <dir>', 'the study\'s directory (default results/sweep-<scenario>-<time>/)')
    .option('--shard <i/n>', 'run only the i-th of n shares of the runs (1-based), to merge later')
    .option('--quick', 'each run\'s timeline at half length')
    .option('--time-factor <f>', 'multiply each run\'s timeline by this factor')
    .option('--quiet', 'no progress')
    .action(async (file: string, dirs: string[], flags) => {
      const sweep = await import('./commands/sweep.js');
      exitCode = file === 'merge' ? await sweep.runSweepMergeCommand(dirs, flags) : dirs.length > 0 ? usage(`zonesim sweep: one scenario file, got ${[file, ...dirs].join(' ')}`) : await sweep.runSweepCommand(file, flags);
    });
  // Hidden: a worker process of `zonesim sweep` (virtual runs, one after another, in one process).
  program
    .command('sweep-worker', { hidden: true })
    .action(async () => {
      exitCode = await (await import('./commands/sweep-worker.js')).runSweepWorker();
    });

  program
    .command('check')
    .description('check a finished run again: account for every operation and event (delivered, dead-lettered, pending, lost), judge the hypotheses')
    .argument('<dir>', 'a run\'s results directory')
    .option('--scenario <file>', 'the scenario (default: the one named in run.json)')
    .option('--json', 'print JSON')
    .action(async (dir: string, flags) => {
      exitCode = await (await import('./commands/run.js')).runCheckCommand(dir, flags);
    });

  program
    .command('explore')
    .description('run random regions, workloads and fault schedules in virtual time and check the platform\'s invariants after each; a violation is shrunk to a minimal scenario that replays it')
    .argument('[file]', 'start every seed from this scenario\'s region and workload, with a fault schedule drawn per seed')
    .option('--seeds <n>', 'how many seeds to run')
    .option('--time <duration>', 'run seeds for this long (e.g. 90s, 10m)')
    .option('--from <seed>', 'the first seed', '1')
    .option('--out <dir>', 'where failing seeds and minimal scenarios go (default results/explore-<time>)')
    .option('--keep-going', 'go on after a violation instead of stopping')
    .option('--no-shrink', 'write the failing seed as drawn, without shrinking it')
    .option('--break <switch>', 'switch off a safety mechanism (explore\'s self-test; repeatable; see --list)', collect, [])
    .option('--invariant <name>', 'check only this invariant (repeatable; see --list)', collect, [])
    .option('--replay <file>', 'replay a scenario explore wrote and show what happened around each violation')
    .option('--list', 'list the invariants and the safety switches')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', [
      '',
      'The seed range is printed first, so that a failure reproduces from the log alone',
      '(zonesim explore --from N --seeds 1). Exit 0 when no invariant broke, 1 when one did,',
      '2 for bad input. See docs/explore.md.',
    ].join('\n'))
    .action(async (file: string | undefined, flags: import('./commands/explore.js').ExploreFlags) => {
      exitCode = await (await import('./commands/explore.js')).runExploreCommand(file, flags);
    });

  program
    .command('calibrate')
    .description('turn a run\'s ledger into synthetic profiles per function (empirical INIT, duration and memory, error rate) and write the run\'s scenario again with its code functions replaced by them')
    .argument('<results-dir>', 'a run\'s results directory (zonesim run --out DIR), or any directory holding ledger/')
    .option('--out <file>', 'the profiles file; .json writes JSON (default RESULTS_DIR/profiles.yaml)')
    .option('--scenario <file>', 'the scenario to rewrite (default: the one named in run.json)')
    .option('--scenario-out <file>', 'where the calibrated scenario goes (default RESULTS_DIR/<name>-calibrated.yaml)')
    .option('--no-scenario', 'write the profiles only')
    .option('--json', 'print the profiles and the files written as JSON')
    .addHelpText('after', [
      '',
      'Percentiles 0, 1, 5, 10, 25, 50, 75, 90, 95, 99, 99.9, 100 of INIT (cold starts',
      'only), handler duration and Max Memory Used, from the attempts that ran code;',
      'errorRate leaves out timeouts and out-of-memory kills (the distributions',
      'reproduce those). Exit 2 for bad input (no directory, no ledger, nothing ran),',
      'with its code. See docs/calibrate.md.',
    ].join('\n'))
    .action(async (dir: string, flags: { out?: string; scenario?: string | false; scenarioOut?: string; json?: boolean }) => {
      // Commander folds --no-scenario into `scenario: false`.
      const { scenario, ...rest } = flags;
      exitCode = await (await import('./commands/calibrate.js')).runCalibrateCommand(dir, {
        ...rest,
        ...(typeof scenario === 'string' && { scenario }),
        writeScenario: scenario !== false,
      });
    });

  const dlq = program.command('dlq').description('dead-lettered asynchronous events');
  dlq
    .command('list')
    .description('list dead-lettered events with their reason')
    .option('--endpoint-url <url>', 'the coordinator\'s API', `http://127.0.0.1:${DEFAULT_UP_PORT}`)
    .option('--function <name>', 'only this function\'s')
    .option('--limit <n>', 'at most this many', '100')
    .option('--json', 'print JSON')
    .action(async (flags) => {
      exitCode = await (await import('./commands/dlq.js')).runDlqListCommand(flags);
    });
  dlq
    .command('redrive')
    .description('put dead-lettered events back on the queue')
    .argument('[ids...]', 'event ids (request ids)')
    .option('--endpoint-url <url>', 'the coordinator\'s API', `http://127.0.0.1:${DEFAULT_UP_PORT}`)
    .option('--all', 'every dead-lettered event')
    .option('--function <name>', 'with --all: only this function\'s')
    .action(async (ids: string[], flags) => {
      exitCode = await (await import('./commands/dlq.js')).runDlqRedriveCommand(ids, flags);
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    const code = (err as { exitCode?: number }).exitCode;
    if (typeof code === 'number') return code;
    throw err;
  }
  return exitCode;
}
