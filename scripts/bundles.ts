// The production bundles (esbuild): which entries, with which options, and what the reconciler's
// bundles must not contain. HTTP, auth and web code belong to the server; a job that reaches them
// carries their packages and start-up cost for nothing. scripts/build.ts checks esbuild's metafile
// for each job entry and fails naming the import chain; scripts/bundles.test.ts
// runs the same check without writing a build.
import path from 'node:path';
import type { BuildOptions, Metafile } from 'esbuild';
import { root } from './tools';

export interface Bundle {
  entry: string;
  outfile: string;
  /** A job (the reconciler): no HTTP, auth or web code may be reached from it. */
  job: boolean;
}

export const bundles: Bundle[] = [
  { entry: 'src/index.ts', outfile: 'server/index.js', job: false },
  { entry: 'reconciler/index.ts', outfile: 'reconciler/index.js', job: true },
  { entry: 'reconciler/cli.ts', outfile: 'reconciler/cli.js', job: true },
];

/** esbuild options for one bundle; input paths in its metafile are relative to the root. */
export function bundleOptions(bundle: Bundle, outRoot: string): BuildOptions & { metafile: true } {
  return {
    absWorkingDir: root,
    entryPoints: [path.join(root, bundle.entry)],
    outfile: path.join(outRoot, bundle.outfile),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    packages: 'external',
    sourcemap: true,
    metafile: true,
    logLevel: 'warning',
    // The Stripe emulator is a development tool: production bundles must not contain it.
    plugins: [
      {
        name: 'no-dev-code',
        setup(b) {
          b.onResolve({ filter: /stripe-emulator/ }, (args) => ({
            errors: [{ text: `production code imports the Stripe emulator (${args.path} from ${args.importer})` }],
          }));
        },
      },
    ],
  };
}

/** Packages (a name, or a scope ending in `/`) no job bundle may import. */
export const serverOnlyPackages = ['hono', '@hono/', '@trpc/', 'lucia', 'arctic', '@node-rs/argon2', 'react', 'react-dom'];
/** Source folders (relative to the repository root) no job bundle may include. */
export const serverOnlySources = ['src/http/', 'src/trpc/', 'src/auth/', 'web/'];

const isServerOnlyPackage = (spec: string) =>
  serverOnlyPackages.some((p) => (p.endsWith('/') ? spec.startsWith(p) : spec === p || spec.startsWith(`${p}/`)));
const isServerOnlySource = (input: string) => serverOnlySources.some((dir) => input.startsWith(dir));

/**
 * Every way the bundle made from `entry` reaches server-only code, one import chain each
 * (`reconciler/index.ts > src/deps.ts > src/auth/sessions.ts > lucia`); empty when it is clean.
 * Input paths in the metafile are relative to the build's working directory: build from the root.
 */
export function serverOnlyImports(metafile: Metafile, entry: string): string[] {
  const parent = new Map<string, string | null>([[entry, null]]);
  const queue = [entry];
  const found: string[] = [];
  const chain = (input: string) => {
    const steps: string[] = [];
    for (let at: string | null | undefined = input; at; at = parent.get(at)) steps.unshift(at);
    return steps.join(' > ');
  };
  for (let input = queue.shift(); input !== undefined; input = queue.shift()) {
    if (isServerOnlySource(input)) {
      // Its own imports would only repeat the chain that reached it.
      found.push(chain(input));
      continue;
    }
    for (const imp of metafile.inputs[input]?.imports ?? []) {
      if (imp.external) {
        if (isServerOnlyPackage(imp.path)) found.push(`${chain(input)} > ${imp.path}`);
      } else if (!parent.has(imp.path)) {
        parent.set(imp.path, input);
        queue.push(imp.path);
      }
    }
  }
  return found;
}
