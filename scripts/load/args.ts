/** The command line of `npm run load`. Pure: argv in, options (or an error naming the problem) out. */

export const PRODUCT_MODES = ['pcm16', 'hybrid', 'passthrough'] as const;
export type Mode = (typeof PRODUCT_MODES)[number] | 'baseline';

export interface LoadOptions {
  /** Simultaneous calls; several counts run one after the other, and each added call's memory is printed. */
  calls: number[];
  /** How long each call stays on, from the moment it connects. */
  seconds: number;
  /** In the order they run; the baseline first when it runs. */
  modes: Mode[];
  /** Calls being dialled at the same time while ramping up. */
  concurrency: number;
  /** Where to write the results as JSON. */
  json: string | undefined;
  /** How the server runs: built into dist/ first and run as `npm start` runs it, or from source through tsx. */
  server: 'tsx' | 'dist';
  /** Run the server from this commit, unpacked on its own, instead of the working tree. */
  ref: string | undefined;
  /** Extra environment for the server under test, e.g. LOCAL_BARGE_IN=false. */
  env: Record<string, string>;
  /**
   * Instances of the server under test, sharing one PostgreSQL schema (1: one process on SQLite). Each call's
   * webhook goes to one instance; every other call's stream to the next one, as a load balancer may send it.
   */
  instances: number;
  /** Extra node options for the bridges' processes, e.g. --cpu-prof (not allowed in NODE_OPTIONS). */
  nodeArgs: string[];
  /** How many times the whole sequence of modes runs: each round's ratios are against that round's baseline. */
  rounds: number;
  /** One-way delay of every message between the callers and the server, as if Twilio were this far away. */
  networkMs: number;
  help: boolean;
}

export const USAGE = `Usage: npm run load -- [options]

Drives simulated Twilio calls through a real server process (on 127.0.0.1, against an offline fake of the
OpenAI Realtime API) and prints what the bridge costs: CPU, memory, added latency, barge-in timing.

  --calls N          simultaneous calls (default 20). A comma list (e.g. 100,200) runs each count in turn, then
                     prints each bridge's memory per added call between them
  --seconds S        how long each call stays on, from when it connects (default 20; the scripted part of a
                     call takes about 6 s, the rest is the steady part that CPU and memory are measured over)
  --mode M           pcm16 | hybrid | passthrough | baseline | all (default all); a comma list works too.
                     The baseline bridge runs first unless --no-baseline
  --no-baseline      do not run the baseline bridge (no ratios then)
  --concurrency N    calls dialled at once while ramping up (default 1: one after another, which pairs every
                     call with its model session exactly; above 1 they are paired by when the caller spoke)
  --json FILE        also write the results as JSON
  --server dist|tsx  build the server and run dist/main.js, as npm start does (default), or run its source
                     through tsx (a development server: more memory and CPU per call)
  --ref REF          run the server from commit REF (e.g. HEAD), unpacked into a temporary folder, instead of
                     the working tree: edits in progress cannot change or break the run
  --instances N      run N instances of the server (default 1), sharing one PostgreSQL (a throwaway schema in
                     the database test at 127.0.0.1:5432): each call's webhook goes to one instance, and every
                     other call's media stream to the next; CPU and memory are the instances' sums. The baseline
                     stays one process
  --env KEY=VALUE    extra setting for the server under test (repeatable), e.g. --env LOCAL_BARGE_IN=false
  --node-arg FLAG    extra node option for every bridge process (repeatable), e.g. --node-arg=--cpu-prof
                     --node-arg=--cpu-prof-dir=/tmp/prof (profiles are written when the bridge stops)
  --rounds N         run the baseline and the modes N times in turn (default 1): a table per round, then each
                     mode's CPU ratios to its own round's baseline, and their median
  --network-ms N     delay every message, ping and pong between the callers and the server by N ms each way
                     (default 0), as a server far from Twilio sees; the truncation rows show what that costs
  --help             this text
`;

const MAX_CALLS = 2000;
const MAX_SECONDS = 3000;
const MAX_INSTANCES = 8;
const MAX_ROUNDS = 20;
const MAX_NETWORK_MS = 500;

export function parseArgs(argv: readonly string[]): LoadOptions {
  const options: LoadOptions = {
    calls: [20],
    seconds: 20,
    modes: [],
    concurrency: 1,
    json: undefined,
    server: 'dist',
    ref: undefined,
    env: {},
    instances: 1,
    nodeArgs: [],
    rounds: 1,
    networkMs: 0,
    help: false,
  };
  let modeArg = 'all';
  let baseline = true;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined || (inline === undefined && v.startsWith('--'))) throw new Error(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--calls':
        options.calls = [...new Set(value().split(',').map((n) => integer(flag, n.trim(), 1, MAX_CALLS)))].sort((a, b) => a - b);
        break;
      case '--seconds':
        options.seconds = integer(flag, value(), 1, MAX_SECONDS);
        break;
      case '--instances':
        options.instances = integer(flag, value(), 1, MAX_INSTANCES);
        break;
      case '--rounds':
        options.rounds = integer(flag, value(), 1, MAX_ROUNDS);
        break;
      case '--network-ms':
        options.networkMs = integer(flag, value(), 0, MAX_NETWORK_MS);
        break;
      case '--concurrency':
        options.concurrency = integer(flag, value(), 1, MAX_CALLS);
        break;
      case '--mode':
        modeArg = value();
        break;
      case '--no-baseline':
        baseline = false;
        break;
      case '--json':
        options.json = value();
        break;
      case '--server': {
        const v = value();
        if (v !== 'tsx' && v !== 'dist') throw new Error(`--server must be dist or tsx, got ${v}`);
        options.server = v;
        break;
      }
      case '--ref':
        options.ref = value();
        break;
      case '--env': {
        const v = value();
        const eq = v.indexOf('=');
        if (eq <= 0) throw new Error(`--env takes KEY=VALUE, got ${v}`);
        options.env[v.slice(0, eq)] = v.slice(eq + 1);
        break;
      }
      case '--node-arg':
        options.nodeArgs.push(inline ?? argv[++i] ?? '');
        if (!options.nodeArgs.at(-1)) throw new Error('--node-arg needs a value');
        break;
      case '--help':
      case '-h':
        options.help = true;
        break;
      default:
        throw new Error(`unknown argument ${arg}`);
    }
  }
  options.modes = modesFrom(modeArg, baseline);
  return options;
}

function modesFrom(arg: string, baseline: boolean): Mode[] {
  const asked = new Set<Mode>();
  for (const part of arg.split(',').map((p) => p.trim()).filter(Boolean)) {
    if (part === 'all') PRODUCT_MODES.forEach((m) => asked.add(m));
    else if (part === 'baseline' || (PRODUCT_MODES as readonly string[]).includes(part)) asked.add(part as Mode);
    else throw new Error(`--mode must be pcm16, hybrid, passthrough, baseline or all, got ${part}`);
  }
  if (asked.size === 0) throw new Error('--mode needs at least one mode');
  const product = PRODUCT_MODES.filter((m) => asked.has(m));
  return asked.has('baseline') || (baseline && product.length > 0) ? ['baseline', ...product] : product;
}

function integer(flag: string, text: string, min: number, max: number): number {
  if (!/^\d+$/.test(text)) throw new Error(`${flag} must be a whole number, got ${text}`);
  const n = Number(text);
  if (n < min || n > max) throw new Error(`${flag} must be within ${min}–${max}, got ${n}`);
  return n;
}
