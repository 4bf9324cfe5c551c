// A master, one agent and a raw scheduler subscribed to it, for e2e tests that launch tasks and look at the agent:
// `launch` puts tasks on the next offer (not used before) that has room for them; `stop` tears it all down.

import { join } from 'node:path'
import { startAgent, startMaster, type Daemon } from './processes.ts'
import { frameworkInfo, RawScheduler, type Event } from './raw-scheduler.ts'

export interface OneAgentCluster {
  master: Daemon
  agent: Daemon
  sched: RawScheduler
  /** Accepts the next unused offer with room for `need`, launching what `tasks` builds for its agent. */
  launch(tasks: (agentId: string) => Record<string, unknown>[], need?: { cpus: number; mem: number }): Promise<void>
  /** The next terminal update of a task. */
  terminal(taskId: string, timeoutMs?: number): Promise<Event>
  stop(): Promise<void>
}

const TERMINAL = ['TASK_FINISHED', 'TASK_FAILED', 'TASK_KILLED', 'TASK_LOST', 'TASK_ERROR', 'TASK_DROPPED', 'TASK_GONE']

const scalar = (offer: any, name: string): number =>
  offer.resources.filter((r: any) => r.name === name).reduce((n: number, r: any) => n + r.scalar.value, 0)

export async function startOneAgentCluster(dir: string, agentFlags: string[], framework: string): Promise<OneAgentCluster> {
  const master = await startMaster(join(dir, 'master'), ['--allocation_interval=100ms'])
  const agent = await startAgent(master.url, join(dir, 'agent'), agentFlags)
  const sched = new RawScheduler(master.url)
  await sched.subscribe(frameworkInfo(framework))
  let offersUsed = 0
  return {
    master, agent, sched,
    async launch(tasks, need = { cpus: 0.1, mem: 16 }) {
      const fits = (e: Event) => e.type === 'OFFERS' && scalar(e.offers.offers[0], 'cpus') >= need.cpus - 1e-9 && scalar(e.offers.offers[0], 'mem') >= need.mem
      const offer = await sched.next(fits, 30_000, offersUsed)
      offersUsed = sched.events.indexOf(offer) + 1
      const o = offer.offers.offers[0]
      const r = await sched.call('ACCEPT', { accept: { offer_ids: [o.id], operations: [{ type: 'LAUNCH', launch: { task_infos: tasks(o.agent_id.value) } }], filters: { refuse_seconds: 0 } } })
      if (r.status !== 202) throw new Error(`ACCEPT → ${r.status}: ${await r.text()}`)
    },
    terminal: (taskId, timeoutMs = 60_000) =>
      sched.next(e => e.type === 'UPDATE' && e.update.status.task_id.value === taskId && TERMINAL.includes(e.update.status.state), timeoutMs),
    async stop() {
      await sched.call('TEARDOWN').catch(() => {})
      sched.close()
      await agent.kill()
      await master.kill()
    },
  }
}
