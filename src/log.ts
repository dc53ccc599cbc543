// The one logger. JSON lines in production; request handlers log through a child carrying the
// request id. Secrets are redacted by path so a careless log call cannot leak them.
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string, opts: { pretty?: boolean } = {}): Logger {
  return pino({
    level,
    // One readable line per entry for a person running it locally (npm start); JSON everywhere else.
    ...(opts.pretty
      ? {
          transport: {
            target: 'pino-pretty',
            options: {
              colorize: process.stdout.isTTY === true,
              singleLine: true,
              ignore: 'pid,hostname,app,reqId',
              translateTime: 'SYS:HH:MM:ss',
            },
          },
        }
      : {}),
    base: { app: 'dropin' },
    redact: {
      paths: [
        'password',
        '*.password',
        '*.currentPassword',
        '*.newPassword',
        'token',
        '*.token',
        'cookie',
        '*.cookie',
        'headers.cookie',
        'headers.authorization',
        '*.sessionToken',
      ],
      censor: '[redacted]',
    },
  });
}
