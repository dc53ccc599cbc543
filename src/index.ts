// Production entry: parse env, connect, start the server. Nothing else.
import { EnvError, parseEnv } from './env';
import { createDeps, startServer } from './server';

try {
  const env = parseEnv();
  const server = await startServer(await createDeps(env));
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void server.close().then(() => process.exit(0));
    });
  }
} catch (err) {
  console.error(err instanceof EnvError ? err.message : err);
  process.exit(1);
}
