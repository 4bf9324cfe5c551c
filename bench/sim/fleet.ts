// A fleet of simulated agents spread over several processes (sim-process.ts): one process holds at most
// `perProcess` agents, so 10k agents make a handful of processes that the kernel can put beside the master.

import { resolve } from 'node:path'
import type { Subprocess } from 'bun'
import { emptyStats, type SimStats } from './sim-agent.ts'
import type { MasterCount, SimProcessConfig } from './sim-process.ts'

/** Each simulated agent: room for 10 tasks of 0.1 cpus / 32 MB, plus disk and ports those tasks do not use. */
export const SIM_AGENT_RESOURCES = 'cpus:1;mem:1024;disk:10240;ports:[31000-32000]'

const BUN = resolve(import.meta.dir, '../../node_modules/.bin/bun')
const ENTRY = resolve(import.meta.dir, 'sim-process.ts')

export interface FleetOptions {
  /**
   * The master's base URL, http://host:port; or a zk:// URL: the agents register with the master leading there
   * and, after a leader change, re-register with the new leader (bench/failover.ts).
   */
  master: string
  agents: number
  /** Agent `--resources` syntax; every simulated agent gets the same. */
  resources: string
  /** How long each task runs; negative: until killed. */
  taskMs: number
  perProcess?: number
  concurrency?: number
  /** Index of the fleet's first agent (names and ports derive from it): a second fleet beside another one sets it past the first's. */
  first?: number
}

interface Member { proc: Subprocess; waiters: ((msg: any) => void)[] }

export class Fleet {
  private constructor(private readonly members: Member[], readonly registerMs: number) {}

  /** Starts the processes and resolves once every agent is registered with the master. */
  static async start(opts: FleetOptions): Promise<Fleet> {
    const perProcess = opts.perProcess ?? 2500
    const n = Math.max(1, Math.ceil(opts.agents / perProcess))
    const target = opts.master.startsWith('zk://') ? { zk: opts.master } : { url: opts.master.replace(/^http/, 'ws') + '/internal/v1/agent' }
    const t0 = performance.now()
    const members: Member[] = []
    const ready: Promise<void>[] = []
    for (let p = 0; p < n; p++) {
      const count = Math.min(perProcess, opts.agents - p * perProcess)
      const first = (opts.first ?? 0) + p * perProcess
      const config: SimProcessConfig = { ...target, first, count, resources: opts.resources, taskMs: opts.taskMs, concurrency: opts.concurrency ?? 64 }
      const member: Member = { proc: undefined as unknown as Subprocess, waiters: [] }
      let registered!: () => void
      let failed!: (e: Error) => void
      ready.push(new Promise<void>((res, rej) => { registered = res; failed = rej }))
      member.proc = Bun.spawn([BUN, ENTRY], {
        env: { ...process.env, MESO_SIM_CONFIG: JSON.stringify(config) },
        stdin: 'ignore', stdout: 'inherit', stderr: 'inherit',
        ipc(msg: any) {
          if (msg.type === 'registered') registered()
          else if (msg.type === 'error') failed(new Error(`simulated agents ${first}..${first + count - 1}: ${msg.message}`))
          else member.waiters.shift()?.(msg)
        },
      })
      void member.proc.exited.then(code => failed(new Error(`simulator process exited with ${code} before its agents registered`)))
      members.push(member)
    }
    const fleet = new Fleet(members, 0)
    try {
      await Promise.all(ready)
    } catch (err) {
      await fleet.stop()
      throw err
    }
    return new Fleet(members, performance.now() - t0)
  }

  get pids(): number[] { return this.members.map(m => m.proc.pid) }

  /**
   * Sums every process's counters; `tasks` is what the agents hold now (not yet acknowledged as terminal);
   * `byMaster`: per master id, the agents registered with it now and when the last of them (re-)registered.
   */
  async stats(): Promise<{ stats: SimStats; tasks: number; byMaster: Map<string, MasterCount> }> {
    const replies = await Promise.all(this.members.map(m => new Promise<any>(res => {
      m.waiters.push(res)
      m.proc.send({ type: 'stats' })
    })))
    const sum = emptyStats()
    let tasks = 0
    const byMaster = new Map<string, MasterCount>()
    for (const r of replies) {
      for (const k of Object.keys(sum) as (keyof SimStats)[]) sum[k] += r.stats[k]
      tasks += r.tasks
      for (const [id, c] of Object.entries(r.byMaster as Record<string, MasterCount>)) {
        const t = byMaster.get(id) ?? { agents: 0, lastAt: 0 }
        byMaster.set(id, { agents: t.agents + c.agents, lastAt: Math.max(t.lastAt, c.lastAt) })
      }
    }
    return { stats: sum, tasks, byMaster }
  }

  /**
   * The update round trips (ms from an agent's STATUS_UPDATE to the master's ACKNOWLEDGE of it) recorded since the
   * last call, from every process; recording goes on afterwards only with `record`.
   */
  async roundTrips(record: boolean): Promise<number[]> {
    const replies = await Promise.all(this.members.map(m => new Promise<any>(res => {
      m.waiters.push(res)
      m.proc.send({ type: 'roundTrips', record })
    })))
    return replies.flatMap(r => r.ms as number[])
  }

  async stop(): Promise<void> {
    for (const m of this.members) { try { m.proc.send({ type: 'stop' }) } catch { /* already gone */ } }
    await Promise.all(this.members.map(async m => {
      const timer = setTimeout(() => { try { m.proc.kill('SIGKILL') } catch { /* gone */ } }, 3000)
      await m.proc.exited
      clearTimeout(timer)
    }))
  }
}
