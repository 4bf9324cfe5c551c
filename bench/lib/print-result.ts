// How a benchmark prints its result when run alone: a markdown heading with the machine, its notes as quotes, and
// the rows as a table; and the `--quick` / `--rounds N` arguments every benchmark takes.

import { table, type BenchResult } from './measure.ts'

export function printResult(title: string, r: BenchResult) {
  console.log(`\n### ${title} (${r.machine})\n`)
  for (const note of r.notes ?? []) console.log(`> ${note}`)
  if (!r.rows.length) return
  // Every column any row has, in order of first appearance: rows of one table may measure different things.
  const headers = [...new Set(r.rows.flatMap(row => Object.keys(row)))]
  console.log(table(headers, r.rows.map(row => headers.map(h => row[h] ?? ''))))
}

export function benchArgs(argv = process.argv): { quick: boolean; rounds?: number } {
  const i = argv.indexOf('--rounds')
  return { quick: argv.includes('--quick'), rounds: i > 0 ? Number(argv[i + 1]) : undefined }
}
