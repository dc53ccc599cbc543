// Outgoing email over SMTP (nodemailer). Locally that is Mailpit; in production any relay.
// Templates live in ./templates.ts; links in them are always built from PUBLIC_URL.
import nodemailer from 'nodemailer';
import type { Logger } from '../log';

export interface Message {
  to: string;
  subject: string;
  text: string;
  html?: string;
}

export interface Mailer {
  send(message: Message): Promise<void>;
  close(): void;
}

export function createMailer(smtpUrl: string, from: string, log: Logger): Mailer {
  // Pooled: a burst of notices (a month-end renewal run sends one receipt per subscriber) reuses a
  // few open connections instead of a connect and greeting per email. `?pool=false` in the URL
  // turns it off.
  const transport = nodemailer.createTransport({ url: smtpUrl, pool: true });
  return {
    async send(message) {
      await transport.sendMail({ from, ...message });
      log.info({ to: message.to, subject: message.subject }, 'email sent');
    },
    close: () => transport.close(),
  };
}
