/**
 * Typed configuration, validated at start-up. A bad value stops the process with
 * a list of everything that is wrong, not the first thing.
 * Sources, later wins: defaults → environment → command-line flags.
 */
import { z } from 'zod';

const bool = z
  .union([z.boolean(), z.string()])
  .transform((v, ctx) => {
    if (typeof v === 'boolean') return v;
    const s = v.trim().toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(s)) return true;
    if (['0', 'false', 'no', 'off', ''].includes(s)) return false;
    ctx.addIssue({ code: 'custom', message: `expected a boolean (true/false), got "${v}"` });
    return z.NEVER;
  });

export const configSchema = z.object({
  port: z.coerce.number().int().min(0).max(65535).default(3000),
  host: z.string().min(1).default('127.0.0.1'),
  dataDir: z.string().min(1).default('./data'),
  databaseUrl: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'DATABASE_URL must start with postgres:// or postgresql://')
    .optional(),
  /** Key for encrypting channel credentials at rest; generated into the data dir when unset. */
  secret: z.string().min(32, 'PARLEY_SECRET must be at least 32 characters').optional(),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Seed the demo brand on an empty database and replay TWCS conversations live. */
  demo: bool.default(true),
  /**
   * Recorded seconds the demo replay plays per real second. 3.5 gives a big brand's live pace
   * (measured on the bundled excerpt, src/demo/replay.ts `replayTimeline`: 1,111 customer tweets
   * in 7.8 recorded hours, so ~500 customer items an hour, ~12,000 a day — big brands see 5–13k
   * care items a day — with a message every ~4 s on average (the excerpt starts quieter: 3–4 new conversations in the first minute);
   * a pass through the excerpt takes ~2.2 hours). 60 (the old default) was ~8,500 an hour.
   */
  demoSpeed: z.coerce.number().positive().max(1_000_000).default(3.5),
  /**
   * Days of past traffic the demo seeds for its reports, at the live replay's rate (about 21,500
   * messages a day at the default speed; src/demo/history.ts). 7, the default, fills the reports'
   * "last 7 days"; 0 seeds none (a desk that only replays live, e.g. in tests); fewer days store
   * faster. Read when the demo is seeded (an empty database), kept with the seed after that.
   */
  demoHistoryDays: z.coerce.number().int('a whole number of days').min(0).max(35).default(7),
  /** Public base URL (for links in notifications and webhooks). */
  publicUrl: z.string().url().optional(),
  /** Cookies marked Secure (set when served over HTTPS). */
  secureCookies: bool.default(false),
  /** Ingest queue bound: beyond it, webhooks get 503 with Retry-After instead of risking loss. */
  ingestQueueMax: z.coerce.number().int().min(100).default(50_000),
  /**
   * Which proxies' X-Forwarded-For to believe: false (none), a number of hops (`true` is 1:
   * the one proxy in front), or proxy addresses/CIDRs. Never the whole chain: its left end is
   * whatever the client wrote.
   */
  trustProxy: z
    .union([z.boolean(), z.number(), z.string()])
    .transform((v, ctx): false | number | string[] => {
      if (v === false || v === true) return v ? 1 : false;
      if (typeof v === 'number') return Number.isInteger(v) && v >= 0 ? v || false : (ctx.addIssue({ code: 'custom', message: 'a hop count must be a whole number' }), z.NEVER);
      const t = v.trim().toLowerCase();
      if (['', '0', 'false', 'no', 'off'].includes(t)) return false;
      if (['true', 'yes', 'on'].includes(t)) return 1;
      if (/^\d+$/.test(t)) return Number(t);
      const list = t.split(',').map((x) => x.trim()).filter(Boolean);
      const bad = list.filter((x) => !/^[0-9a-f.:]+(\/\d{1,3})?$/.test(x) && !['loopback', 'linklocal', 'uniquelocal'].includes(x));
      if (bad.length) {
        ctx.addIssue({ code: 'custom', message: `expected true/false, a hop count, or proxy addresses/CIDRs; not ${bad.join(', ')}` });
        return z.NEVER;
      }
      return list;
    })
    .default(false),
  /** Bearer token /metrics asks for; unset: /metrics answers only on the loopback interface. */
  metricsToken: z.string().min(16, 'PARLEY_METRICS_TOKEN must be at least 16 characters').optional(),
  /** Outbound webhooks may call loopback, private and link-local addresses, over plain http too (never metadata addresses). */
  webhooksAllowPrivate: bool.default(false),
  /**
   * How far V8 lets the main heap grow past what the last full collection kept, in percent
   * (V8's own choice, up to 300 %, when 0). See docs/performance.md, Memory.
   */
  heapGrowingPercent: z.coerce.number().int().min(0).max(300).default(50),
});

export type Config = z.infer<typeof configSchema>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

const ENV: Record<keyof Config, string> = {
  port: 'PORT',
  host: 'HOST',
  dataDir: 'PARLEY_DATA_DIR',
  databaseUrl: 'DATABASE_URL',
  secret: 'PARLEY_SECRET',
  logLevel: 'LOG_LEVEL',
  demo: 'PARLEY_DEMO',
  demoSpeed: 'PARLEY_DEMO_SPEED',
  demoHistoryDays: 'PARLEY_DEMO_HISTORY_DAYS',
  publicUrl: 'PARLEY_PUBLIC_URL',
  secureCookies: 'PARLEY_SECURE_COOKIES',
  ingestQueueMax: 'PARLEY_INGEST_QUEUE_MAX',
  trustProxy: 'PARLEY_TRUST_PROXY',
  metricsToken: 'PARLEY_METRICS_TOKEN',
  webhooksAllowPrivate: 'PARLEY_WEBHOOKS_ALLOW_PRIVATE',
  heapGrowingPercent: 'PARLEY_HEAP_GROWING_PERCENT',
};

/** Documented for README and `parley start --help`. */
export const CONFIG_HELP: { env: string; flag: string; description: string; default: string }[] = [
  { env: 'PORT', flag: '--port', description: 'HTTP port', default: '3000' },
  { env: 'HOST', flag: '--host', description: 'interface to listen on (0.0.0.0 for all)', default: '127.0.0.1' },
  { env: 'PARLEY_DATA_DIR', flag: '--data-dir', description: 'directory of the SQLite database and generated secret', default: './data' },
  { env: 'DATABASE_URL', flag: '--database-url', description: 'PostgreSQL connection URL; when set, PostgreSQL is used instead of SQLite', default: '(unset)' },
  { env: 'PARLEY_SECRET', flag: '', description: 'key (≥ 32 chars) that encrypts channel credentials at rest', default: 'generated into the data dir' },
  { env: 'LOG_LEVEL', flag: '--log-level', description: 'fatal, error, warn, info, debug, trace, silent', default: 'info' },
  { env: 'PARLEY_DEMO', flag: '--no-demo', description: 'seed a demo brand on an empty database and replay real TWCS conversations live', default: 'true' },
  { env: 'PARLEY_DEMO_SPEED', flag: '--demo-speed', description: 'replay speed-up factor (60 = one recorded minute per second); the default plays a big brand\'s pace, ~500 customer messages an hour', default: '3.5' },
  { env: 'PARLEY_DEMO_HISTORY_DAYS', flag: '--demo-history-days', description: 'days of past traffic the demo seeds for its reports, at the replay\'s rate at its speed (~21,500 messages a day at the default, at most 45,000); 0 seeds none; read when the demo is first seeded', default: '7' },
  { env: 'PARLEY_PUBLIC_URL', flag: '--public-url', description: 'public base URL, for links and webhook callbacks', default: '(unset)' },
  { env: 'PARLEY_SECURE_COOKIES', flag: '', description: 'mark session cookies Secure (behind HTTPS)', default: 'false' },
  { env: 'PARLEY_INGEST_QUEUE_MAX', flag: '', description: 'messages queued for ingest before webhooks get 503 + Retry-After', default: '50000' },
  { env: 'PARLEY_TRUST_PROXY', flag: '', description: 'behind a reverse proxy: true (one proxy in front), a hop count, or the proxies\' addresses/CIDRs (comma-separated); client addresses (sign-in limits, audit) then come from X-Forwarded-For', default: 'false' },
  { env: 'PARLEY_METRICS_TOKEN', flag: '', description: 'bearer token for /metrics (≥ 16 chars); unset: /metrics answers only to loopback clients', default: '(unset)' },
  { env: 'PARLEY_WEBHOOKS_ALLOW_PRIVATE', flag: '', description: 'outbound webhooks may call loopback, private and link-local addresses and plain http (metadata addresses stay refused)', default: 'false' },
  { env: 'PARLEY_HEAP_GROWING_PERCENT', flag: '', description: 'how far the JavaScript heap may grow past what its last full collection kept, in percent (0: V8 decides, up to 300); a node --heap-growing-percent flag wins', default: '50' },
];

export function loadConfig(env: NodeJS.ProcessEnv, flags: Partial<Record<keyof Config, unknown>> = {}): Config {
  const input: Record<string, unknown> = {};
  for (const [key, name] of Object.entries(ENV)) {
    const v = env[name];
    if (v !== undefined && v !== '') input[key] = v;
  }
  for (const [k, v] of Object.entries(flags)) if (v !== undefined) input[k] = v;
  const parsed = configSchema.safeParse(input);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => {
        const key = String(i.path[0] ?? '');
        const name = ENV[key as keyof Config] ?? key;
        return `${name}: ${i.message}`;
      }),
    );
  }
  return parsed.data;
}
