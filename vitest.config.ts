import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: more workers only make Argon2 and FerretDB fight for them.
    maxWorkers: 2,
    pool: 'forks',
    reporters: ['default'],
    // Unit tests next to the code (src/, scripts/) need no services; everything under tests/ runs against the real
    // FerretDB and Mailpit, which the global setup starts only when one of those files runs.
    projects: [
      // The tests' own helpers (tests/setup/) are unit-tested too.
      {
        extends: true,
        test: { name: 'unit', include: ['src/**/*.test.ts', 'scripts/**/*.test.ts', 'tests/setup/**/*.test.ts'] },
      },
      {
        extends: true,
        test: {
          name: 'services',
          include: ['tests/**/*.test.ts'],
          exclude: ['tests/setup/**'],
          globalSetup: ['tests/setup/global-setup.ts'],
          // Argon2 hashes, FerretDB writes and child processes take several times longer on a
          // busy machine; these bound a hung test, they are not speed requirements.
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // expect.poll waits for a page or a worker to catch up: 10 s bounds it on a busy machine
          // (the default second is a page load there).
          expect: { poll: { timeout: 10_000 } },
        },
      },
    ],
  },
});
