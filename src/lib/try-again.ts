// When to try again, in words a person reads at a glance ("Try again in 45 minutes."). The server's
// 429 messages and the web's live countdown both use these, so the two always say the same thing.
// Plain module: the web bundle imports it.

const RETRY_SENTENCE = /\s*(?:Try again in [^.]+|You can try again now)\.$/;

/**
 * "1 second", "45 seconds", "1 minute", "45 minutes", "an hour", "about 2 hours". Seconds and
 * minutes round up, so whoever waits as long as told is let in; past an hour the figure rounds to
 * the nearest hour and says "about".
 */
export function waitInWords(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) {
    throw new RangeError(`waitInWords needs a number of seconds ≥ 0, got ${seconds}`);
  }
  const s = Math.ceil(seconds);
  if (s < 60) return plural(s, 'second');
  const minutes = Math.ceil(s / 60);
  if (minutes < 60) return plural(minutes, 'minute');
  if (s <= 3600) return 'an hour';
  const hours = Math.round(s / 3600);
  return hours === 1 ? 'about an hour' : `about ${hours} hours`;
}

/** "Try again in 45 minutes.", or "You can try again now." once the wait is over. */
export function tryAgainIn(seconds: number): string {
  return seconds > 0 ? `Try again in ${waitInWords(seconds)}.` : 'You can try again now.';
}

/** What happened, then when to retry: "Too many sign-ups from this network. Try again in an hour." */
export function tooManyMessage(what: string, seconds: number): string {
  return `${what} ${tryAgainIn(seconds)}`;
}

/** A message made by tooManyMessage without its retry sentence: just what happened. */
export function withoutRetry(message: string): string {
  return message.replace(RETRY_SENTENCE, '');
}

/**
 * A message made by tooManyMessage, re-told for `secondsLeft` (a live countdown). A message without
 * a retry sentence (one that says "when it has finished", say) is returned as it is.
 */
export function withRetryIn(message: string, secondsLeft: number): string {
  return RETRY_SENTENCE.test(message) ? tooManyMessage(withoutRetry(message), secondsLeft) : message;
}

function plural(n: number, unit: string): string {
  return `${n} ${unit}${n === 1 ? '' : 's'}`;
}
