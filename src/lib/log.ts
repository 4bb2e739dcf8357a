/**
 * pino logger. JSON lines by default when not a terminal (for log shippers);
 * a compact human format on a terminal (LOG_FORMAT=json|pretty overrides).
 */
import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

function prettyStream(out: NodeJS.WritableStream): Writable {
  return new Writable({
    write(chunk, _enc, cb) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line) continue;
        try {
          const { level, time, msg, pid: _p, hostname: _h, err, ...rest } = JSON.parse(line);
          const t = new Date(time).toISOString().slice(11, 19);
          const extra = Object.entries(rest).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ');
          out.write(`${t} ${(LEVELS[level] ?? level).padEnd(5)} ${msg ?? ''}${extra ? ' ' + extra : ''}\n`);
          if (err?.stack) out.write(err.stack + '\n');
        } catch {
          out.write(line + '\n');
        }
      }
      cb();
    },
  });
}

export function createLogger(level: string, format = process.env.LOG_FORMAT ?? (process.stdout.isTTY ? 'pretty' : 'json')): Logger {
  const opts = { level, base: undefined, redact: { paths: ['req.headers.authorization', 'req.headers.cookie', 'credentials', '*.credentials', 'password', '*.password'], censor: '[redacted]' } };
  return format === 'pretty' ? pino(opts, prettyStream(process.stdout)) : pino(opts);
}
