// Where an agent keeps a task's sandbox on the host, as tests look for it.

import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

const safeList = (d: string) => { try { return readdirSync(d) } catch { return [] } }
const exists = (p: string) => { try { return !!statSync(p) } catch { return false } }

/** The host directory of a task's latest run (a command task's executor id is its task id), once it exists. */
export function sandboxOf(agentDir: string, taskId: string): string | undefined {
  const slaves = join(agentDir, 'slaves')
  for (const s of safeList(slaves)) {
    for (const f of safeList(join(slaves, s, 'frameworks'))) {
      const latest = join(slaves, s, 'frameworks', f, 'executors', taskId, 'runs', 'latest')
      if (exists(latest)) return latest
    }
  }
  return undefined
}
