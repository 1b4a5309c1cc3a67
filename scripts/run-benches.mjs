// Runs every compiled benchmark in dist/bench one after another; each prints its own figures.
// `npm run bench -- rule-loop` runs only the benchmarks whose file name contains "rule-loop".
import { readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const dir = join(import.meta.dirname, '..', 'dist', 'bench');
const filter = process.argv[2] ?? '';
const files = readdirSync(dir).filter((f) => f.endsWith('.js') && f.includes(filter)).sort();
let failed = 0;
for (const file of files) {
  console.log(`\n=== ${file.replace(/\.js$/, '')} ===`);
  const run = spawnSync(process.execPath, ['--expose-gc', join(dir, file)], { stdio: 'inherit' });
  if (run.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
