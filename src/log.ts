// The one logger. JSON lines in production; request handlers log through a child carrying the
// request id. Secrets are redacted by path so a careless log call cannot leak them.
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string): Logger {
  return pino({
    level,
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
