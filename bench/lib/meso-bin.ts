// Which meso the benchmarks run: $MESO_BIN (e.g. a copy built with `bun run scripts/build.ts /tmp/meso-bench-bin`),
// else dist/meso, else the sources under the pinned Bun. MESO_BENCH_SOURCE=1 (or the test suite's MESO_TEST_SOURCE=1)
// forces the sources, and
// MESO_BENCH_PROFILE=DIR runs the master from source under `bun --cpu-prof` writing profiles into DIR.
// MESO_BENCH_BASELINE=DIR (another checkout, e.g. `git archive <commit> | tar -x -C DIR`) adds, to the placement and
// footprint benchmarks, the same measurement against that checkout's master in the same run: a before/after ratio.

import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'

export const ROOT = resolve(import.meta.dir, '../..')
export const BUN = join(ROOT, 'node_modules/.bin/bun')
const SOURCE = [BUN, join(ROOT, 'src/main.ts')]

export function mesoCommand(): string[] {
  if (process.env.MESO_BIN) return [process.env.MESO_BIN]
  if (process.env.MESO_BENCH_SOURCE === '1' || process.env.MESO_TEST_SOURCE === '1') return SOURCE
  const dist = join(ROOT, 'dist/meso')
  return existsSync(dist) ? [dist] : SOURCE
}

/** The command that starts a daemon (the master) for a benchmark; profiled when MESO_BENCH_PROFILE is set. */
export function daemonCommand(): string[] {
  const dir = process.env.MESO_BENCH_PROFILE
  if (dir) return [BUN, '--cpu-prof', '--cpu-prof-md', `--cpu-prof-dir=${dir}`, join(ROOT, 'src/main.ts')]
  return mesoCommand()
}

/** For the tables: what ran. */
export function mesoDescription(): string {
  const cmd = daemonCommand()
  return cmd[0] === BUN ? `sources under Bun ${Bun.version}${process.env.MESO_BENCH_PROFILE ? ' (profiled)' : ''}` : cmd[0]!.replace(ROOT + '/', '')
}

/** A master to compare against, from another checkout's sources (MESO_BENCH_BASELINE), if one is set. */
export function baselineMaster(): { command: string[]; label: string } | undefined {
  const dir = process.env.MESO_BENCH_BASELINE
  if (!dir) return undefined
  return { command: [BUN, join(resolve(dir), 'src/main.ts')], label: `baseline: ${dir}` }
}
