// Sends account email off the request path: the response does not wait for SMTP, and a failure is
// logged with the recipient and subject (never silently dropped). Tests read the result from Mailpit.
import type { Logger } from '../log';
import type { Mailer, Message } from './mailer';

export function sendInBackground(deps: { mailer: Mailer; log: Logger }, message: Message): void {
  deps.mailer.send(message).catch((err: unknown) => {
    deps.log.error({ err, to: message.to, subject: message.subject }, 'email failed to send');
  });
}
