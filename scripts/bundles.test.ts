// The reconciler's production bundles carry no HTTP, auth or web code: the same esbuild options and
// the same check as `npm run build`, with nothing written.
import os from 'node:os';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { bundleOptions, bundles, serverOnlyImports } from './bundles';

async function metafileOf(entry: string) {
  const bundle = bundles.find((b) => b.entry === entry);
  if (!bundle) throw new Error(`${entry} is not a production bundle`);
  const { metafile } = await build({ ...bundleOptions(bundle, os.tmpdir()), write: false, logLevel: 'silent' });
  return metafile;
}

describe('the reconciler bundles', () => {
  it.each(bundles.filter((b) => b.job).map((b) => b.entry))('%s reaches no server-only code', async (entry) => {
    const metafile = await metafileOf(entry);
    expect(serverOnlyImports(metafile, entry)).toEqual([]);
    const inputs = Object.keys(metafile.inputs);
    expect(inputs).toContain('src/billing/reconcile/run.ts');
    expect(inputs.filter((i) => /^(src\/(http|trpc|auth)|web)\//.test(i))).toEqual([]);
  });

  it('the check names the import chain when server-only code is reached', async () => {
    // The server bundle reaches all of it, so it shows what a job bundle's failure would say.
    const reached = serverOnlyImports(await metafileOf('src/index.ts'), 'src/index.ts');
    expect(reached).toContain('src/index.ts > src/server.ts > src/app.ts > hono');
    expect(reached.some((chain) => / > src\/auth\/[\w/-]+\.ts$/.test(chain))).toBe(true);
  });
});
