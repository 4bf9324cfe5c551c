// A master and one agent shared by every test of an e2e file that drives the v1 scheduler API with raw schedulers:
// started before the file's first test, killed after its last (their logs printed first with MESO_TEST_LOGS), and
// every scheduler a test made through `newScheduler` torn down after that test, since one left connected by a failed
// test would hold offers for the agent's resources and starve the next.

import { afterAll, afterEach, beforeAll } from 'bun:test'
import { startAgent, startMaster, tempDir, type Daemon } from './processes.ts'
import { RawScheduler } from './raw-scheduler.ts'

export interface SchedulerApiCluster {
  readonly master: Daemon
  readonly agent: Daemon
  /** A raw scheduler on the master, not subscribed yet; TEARDOWN and closed after the current test. */
  newScheduler(): RawScheduler
  /** Not torn down after the test (its framework id went to another scheduler, say); the test closes it. */
  release(s: RawScheduler): void
}

/** The agent's resources unless a file names others: room for a few tasks and a port range. */
export const SCHEDULER_API_AGENT_RESOURCES = 'cpus:4;mem:4096;disk:1000;ports:[31000-31100]'

/** Registers the hooks of the file that calls it (at its top level); `masterFlags` come after --allocation_interval=100ms. */
export function useSchedulerApiCluster(opts: { masterFlags?: string[]; agentResources?: string } = {}): SchedulerApiCluster {
  let master: Daemon | undefined
  let agent: Daemon | undefined
  const schedulers: RawScheduler[] = []
  const started = <T>(what: string, d: T | undefined): T => {
    if (d === undefined) throw new Error(`the ${what} is not started: use the cluster inside a test or hook`)
    return d
  }

  beforeAll(async () => {
    const dir = tempDir()
    master = await startMaster(`${dir}/master`, ['--allocation_interval=100ms', ...(opts.masterFlags ?? [])])
    agent = await startAgent(master.url, `${dir}/agent`, [`--resources=${opts.agentResources ?? SCHEDULER_API_AGENT_RESOURCES}`])
  })
  afterAll(async () => {
    if (process.env.MESO_TEST_LOGS) console.error(master?.log(), agent?.log())
    for (const s of schedulers) s.close()
    await agent?.kill()
    await master?.kill()
  })
  afterEach(async () => {
    for (const s of schedulers.splice(0)) {
      await s.call('TEARDOWN').catch(() => {})
      s.close()
    }
  })

  return {
    get master() { return started('master', master) },
    get agent() { return started('agent', agent) },
    newScheduler() {
      const s = new RawScheduler(started('master', master).url)
      schedulers.push(s)
      return s
    },
    release(s) {
      const at = schedulers.indexOf(s)
      if (at >= 0) schedulers.splice(at, 1)
    },
  }
}
