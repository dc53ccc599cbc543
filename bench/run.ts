// `npm run bench`: every benchmark under bench/ in quick mode, one after another, then one table of
// each figure against its goal. A bench takes part once it follows the convention in
// docs/performance.md: it honours `--quick` (or BENCH_QUICK=1) and prints one `BENCH {...}` line
// (bench/lib.ts reportFigures). Each bench's whole output goes to a log file; the table says which
// bench failed or printed no figures.
//   npm run bench                      all benches, quick
//   npm run bench -- web auth          only these (file names without .ts)
//   npm run bench -- --full            full sizes (slow: minutes to hours)
//   npm run bench -- --write           also rewrite the table in docs/performance.md
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { BenchFigure } from './lib';

const root = path.resolve(import.meta.dirname, '..');
const benchDir = path.join(root, 'bench');
/** Not benchmarks: the shared plumbing and this runner. */
const NOT_BENCHES = new Set(['lib.ts', 'run.ts']);
/** A quick bench that runs longer than this is stopped and reported as such. */
const TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT_MS ?? 15 * 60_000);

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { full: { type: 'boolean', default: false }, write: { type: 'boolean', default: false } },
});
const quick = !values.full;

interface Outcome {
  bench: string;
  seconds: number;
  /** Why there are no figures: a failure, a timeout, or a bench that does not follow the convention. */
  problem?: string;
  figures: BenchFigure[];
  log: string;
}

const all = readdirSync(benchDir)
  .filter((f) => f.endsWith('.ts') && !NOT_BENCHES.has(f))
  .map((f) => f.slice(0, -3))
  .sort();
const unknown = positionals.filter((p) => !all.includes(p));
if (unknown.length) throw new Error(`No bench named ${unknown.join(', ')} under bench/ (there are: ${all.join(', ')})`);
const chosen = positionals.length ? all.filter((b) => positionals.includes(b)) : all;

/** The machine's load when the run starts: figures from a machine busy with other work read differently. */
const loadAtStart = os.loadavg()[0] ?? 0;
const logDir = path.join(root, 'bench-results');
mkdirSync(logDir, { recursive: true });
const outcomes: Outcome[] = [];
for (const bench of chosen) {
  const file = path.join(benchDir, `${bench}.ts`);
  const log = path.join(logDir, `${bench}.log`);
  // A bench without a quick mode would run at full size (hours for some): it is listed, not run.
  if (quick && !followsConvention(readFileSync(file, 'utf8'))) {
    outcomes.push({ bench, seconds: 0, figures: [], log, problem: 'not run: no quick mode or BENCH line yet' });
    console.log(`${bench}: skipped (no quick mode or BENCH line yet; see docs/performance.md)`);
    continue;
  }
  process.stdout.write(`${bench}: running${quick ? ' (quick)' : ''}, output in ${path.relative(root, log)} … `);
  const outcome = await runBench(bench, file, log);
  outcomes.push(outcome);
  console.log(outcome.problem ?? `${outcome.figures.length} figures in ${outcome.seconds.toFixed(0)} s`);
}

const table = renderTable(outcomes);
const machine = machineLine();
console.log(`\n${machine}\n\n${table}`);
if (values.write) {
  writeDoc(machine, table);
  console.log('\ndocs/performance.md updated.');
}
if (outcomes.some((o) => o.problem && !o.problem.startsWith('not run'))) process.exitCode = 1;

/** Whether a bench's source takes part: it honours quick mode and reports its figures. */
function followsConvention(source: string): boolean {
  return /isQuick\(|BENCH_QUICK|--quick/.test(source) && /reportFigures\(|BENCH \{|`BENCH /.test(source);
}

function runBench(bench: string, file: string, logFile: string): Promise<Outcome> {
  const started = performance.now();
  const tsx = path.join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs');
  const args = [tsx, file, ...(quick ? ['--quick'] : [])];
  return new Promise((resolve) => {
    const out = createWriteStream(logFile);
    const child = spawn(process.execPath, args, {
      cwd: root,
      env: { ...process.env, ...(quick ? { BENCH_QUICK: '1' } : {}) },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, so a timeout stops what it started (servers, browsers) too.
      detached: true,
    });
    const figures: BenchFigure[] = [];
    let problem: string | undefined;
    let pending = '';
    child.stdout.on('data', (d: Buffer) => {
      out.write(d);
      pending += d.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.startsWith('BENCH ')) continue;
        try {
          const parsed = JSON.parse(line.slice('BENCH '.length)) as { figures?: BenchFigure[] };
          figures.push(...(parsed.figures ?? []));
        } catch (err) {
          problem = `unreadable BENCH line: ${(err as Error).message}`;
        }
      }
    });
    child.stderr.on('data', (d: Buffer) => out.write(d));
    // Ctrl-C stops the bench's whole group too (it runs detached, so it would not get the signal).
    const onInterrupt = () => {
      if (child.pid) process.kill(-child.pid, 'SIGTERM');
      process.exit(130);
    };
    process.once('SIGINT', onInterrupt);
    const timer = setTimeout(() => {
      problem = `stopped after ${TIMEOUT_MS / 60_000} min`;
      if (child.pid) process.kill(-child.pid, 'SIGTERM');
    }, TIMEOUT_MS);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      process.off('SIGINT', onInterrupt);
      out.end();
      if (!problem && code !== 0) problem = `failed (exit ${code ?? signal}); see the log`;
      if (!problem && figures.length === 0) problem = 'printed no BENCH line';
      resolve({ bench, seconds: (performance.now() - started) / 1000, figures, problem, log: logFile });
    });
  });
}

function goalOf(f: BenchFigure): string {
  if (f.max !== undefined && f.min !== undefined) return `${f.min}–${f.max} ${f.unit}`;
  if (f.max !== undefined) return `≤ ${f.max} ${f.unit}`;
  if (f.min !== undefined) return `≥ ${f.min} ${f.unit}`;
  return '';
}

function verdict(f: BenchFigure): string {
  if (f.max === undefined && f.min === undefined) return '';
  const ok = (f.max === undefined || f.value <= f.max) && (f.min === undefined || f.value >= f.min);
  return ok ? 'met' : 'MISSED';
}

/** A Markdown table: it reads in a terminal and goes into docs/performance.md as it is. */
function renderTable(list: Outcome[]): string {
  const rows: string[][] = [['bench', 'figure', 'value', 'goal', '', 'note']];
  for (const o of list) {
    if (o.problem) rows.push([o.bench, '—', '', '', '', o.problem]);
    for (const f of o.figures) rows.push([o.bench, f.name, `${f.value} ${f.unit}`, goalOf(f), verdict(f), f.note ?? '']);
  }
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [
    line(rows[0] ?? []),
    `| ${widths.map((w) => '-'.repeat(Math.max(3, w))).join(' | ')} |`,
    ...rows.slice(1).map(line),
  ].join('\n');
}

function machineLine(): string {
  const cpu = os.cpus()[0]?.model.trim() ?? 'unknown CPU';
  const gb = (os.totalmem() / 1024 ** 3).toFixed(1);
  const date = new Date().toISOString().slice(0, 16).replace('T', ' ');
  return (
    `${quick ? 'Quick run' : 'Full run'}, ${date} UTC: ${os.availableParallelism()} cores (nproc), ${cpu}, ` +
    `${gb} GB RAM, Node ${process.version}, ${os.type()} ${os.release()}; ` +
    `load average ${loadAtStart.toFixed(1)} at the start, ${(os.loadavg()[0] ?? 0).toFixed(1)} at the end`
  );
}

/** Replaces what lies between the two markers in docs/performance.md. */
function writeDoc(machineInfo: string, tableText: string): void {
  const doc = path.join(root, 'docs', 'performance.md');
  const start = '<!-- bench:latest:start -->';
  const end = '<!-- bench:latest:end -->';
  const text = readFileSync(doc, 'utf8');
  const a = text.indexOf(start);
  const b = text.indexOf(end);
  if (a < 0 || b < a) throw new Error(`docs/performance.md has no ${start} … ${end} section to replace`);
  writeFileSync(doc, `${text.slice(0, a + start.length)}\n${machineInfo}\n\n${tableText}\n${text.slice(b)}`);
}
