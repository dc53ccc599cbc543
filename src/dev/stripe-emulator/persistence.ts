// Optional persistence: the whole state as one JSON file, saved debounced and atomically
// (write a temp file, then rename over the old one) so a crash never leaves a torn file.
import { mkdirSync, readFileSync, renameSync, writeFileSync, existsSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Emulator } from './emulator.js';

const FORMAT = 1;

export class Persistence {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly file: string,
    private readonly emu: Emulator,
    private readonly delayMs = 250,
  ) {}

  load(): boolean {
    if (!existsSync(this.file)) return false;
    const data = JSON.parse(readFileSync(this.file, 'utf8')) as { format?: number; state?: Record<string, unknown> };
    if (data.format !== FORMAT || !data.state)
      throw new Error(`stripe emulator: ${this.file} is not an emulator data file (format ${String(data.format)})`);
    this.emu.state.load(data.state);
    return true;
  }

  schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.saveNow();
    }, this.delayMs);
    this.timer.unref?.();
  }

  saveNow(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    mkdirSync(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify({ format: FORMAT, savedAt: new Date().toISOString(), state: this.emu.state.toJSON() }));
    renameSync(tmp, this.file);
  }
}
