// posix/cpu and posix/mem: no limits, only usage — CPU times and RSS summed over the container's process group,
// read from /proc, as Mesos' posix isolators report them (src/slave/containerizer/mesos/isolators/posix.hpp). The
// posix launcher always has them (its containers have no cgroup to read); one /proc walk serves both.

import { readdirSync, readFileSync } from 'node:fs'
import type { Isolator } from './isolator.ts'

export const posixUsage: Isolator = {
  name: 'posix/cpu,posix/mem',
  posix: true,
  usage: c => (c.pid ? processGroupUsage(c.pid) : {}),
}

/** Processes, threads, CPU times and RSS of every process in the process group `pgid`. */
export function processGroupUsage(pgid: number): Record<string, number> {
  let user = 0, system = 0, rss = 0, processes = 0, threads = 0
  const tick = 100
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8')
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      if (Number(f[2]) !== pgid) continue
      processes++
      user += Number(f[11]) / tick
      system += Number(f[12]) / tick
      threads += Number(f[17])
      rss += Number(f[21]) * 4096
    } catch { /* process went away */ }
  }
  return { processes, threads, cpus_user_time_secs: user, cpus_system_time_secs: system, mem_rss_bytes: rss }
}
