// Which processes a benchmark's containers brought (conmon monitors, log rotators), found by a marker in their
// command line (the agent's runtime or work dir), with their summed resident memory: one pass over /proc.

import { readdirSync, readFileSync } from 'node:fs'
import { rssBytes } from './procfs.ts'

/** rssBytes counts shared pages (libc, the binary) once per process; pssBytes shares them out: the honest sum. */
export interface Census { count: number; rssBytes: number; pssBytes: number; pids: number[] }

/** Proportional set size in bytes (/proc/<pid>/smaps_rollup), or NaN when the process is gone. */
export function pssBytes(pid: number): number {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))
    return m ? Number(m[1]) * 1024 : NaN
  } catch {
    return NaN
  }
}

/**
 * Processes whose argv[0] ends with one of `names` and whose command line contains `marker`; `withChildren` adds
 * their direct children (a log rotator's `head`, which carries no marker).
 */
export function census(names: string[], marker: string, withChildren = false): Census {
  const out: Census = { count: 0, rssBytes: 0, pssBytes: 0, pids: [] }
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    let argv: string[]
    try { argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0') } catch { continue }
    const exe = argv[0]?.split('/').pop() ?? ''
    if (!names.includes(exe) || !argv.some(a => a.includes(marker))) continue
    const rss = rssBytes(Number(entry))
    if (!Number.isFinite(rss)) continue
    out.count++
    out.rssBytes += rss
    out.pssBytes += pssBytes(Number(entry)) || 0
    out.pids.push(Number(entry))
  }
  if (withChildren) {
    for (const pid of [...out.pids]) {
      let kids: string[] = []
      try { kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean) } catch { /* gone */ }
      for (const k of kids) {
        const rss = rssBytes(Number(k))
        if (!Number.isFinite(rss)) continue
        out.count++
        out.rssBytes += rss
        out.pssBytes += pssBytes(Number(k)) || 0
        out.pids.push(Number(k))
      }
    }
  }
  return out
}
