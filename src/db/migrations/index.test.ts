// The list of migrations is the folder: every step file is listed once, under its own file name,
// in the order of the names, so a new file cannot be forgotten and ids never collide.
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { migrations } from './index';

describe('the migration list', () => {
  it('lists every step file in the folder once, by its file name, oldest first', () => {
    const files = readdirSync(import.meta.dirname)
      .filter((f) => /^\d{4}-[a-z0-9-]+\.ts$/.test(f))
      .map((f) => f.replace(/\.ts$/, ''))
      .sort();
    expect(migrations.map((m) => m.id)).toEqual(files);
    expect(new Set(files.map((f) => f.slice(0, 4))).size).toBe(files.length);
  });
});
