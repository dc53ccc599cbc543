// Starts the real services once for the whole run: FerretDB (SQLite, a fresh data folder per run)
// and Mailpit. Each test file then makes its own database, so files never see each other's data.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { startFerretDB, startMailpit } from '../../scripts/services';
import { ensureTools } from '../../scripts/tools';

declare module 'vitest' {
  export interface ProvidedContext {
    mongoUri: string;
    smtpUrl: string;
    mailpitUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'dropin-test-'));
  const mongoUri = process.env.TEST_MONGODB_URI;
  // Built at the same time when missing (a fresh machine), before either starts.
  await ensureTools(mongoUri ? ['mailpit'] : ['ferretdb', 'mailpit']);
  const ferret = mongoUri ? null : await startFerretDB({ dataDir: path.join(dataDir, 'ferretdb') });
  const mailpit = await startMailpit();
  project.provide('mongoUri', mongoUri ?? (ferret as { url: string }).url);
  project.provide('smtpUrl', mailpit.smtpUrl);
  project.provide('mailpitUrl', mailpit.apiUrl);
  return async () => {
    await Promise.all([ferret?.stop(), mailpit.stop()]);
    rmSync(dataDir, { recursive: true, force: true });
  };
}
