// A framework that measures how promptly the master serves it: it launches one short task at a steady pace on the
// offers it holds and acknowledges every update, timing each ACCEPT and ACKNOWLEDGE call from the moment it is sent
// to the master's answer (202). bench/footprint.ts runs it on a few agents of its own beside a full cluster, idle
// and while clients fetch /master/state, and the agents time each status update until its acknowledgement.

import { V1Scheduler, type SchedulerEvent } from './v1-scheduler.ts'

const TASK_CPUS = 0.1
const TASK_MEM = 32

/** Whether an offer holds one probe task. */
function fits(offer: any): boolean {
  let cpus = 0
  let mem = 0
  for (const r of offer.resources ?? []) {
    if (r.name === 'cpus') cpus += r.scalar.value
    else if (r.name === 'mem') mem += r.scalar.value
  }
  return cpus + 1e-9 >= TASK_CPUS && mem + 1e-9 >= TASK_MEM
}

export interface ProbeSamples { accept: number[]; acknowledge: number[] }

export class ProbeFramework {
  readonly scheduler: V1Scheduler
  launched = 0
  failed = 0
  lastFailure = ''
  private held: any[] = []
  private accept: number[] = []
  private acknowledge: number[] = []
  private timer?: ReturnType<typeof setInterval>
  private seq = 0

  /** Launches one task every `everyMs` while it holds an offer. */
  constructor(private readonly master: string, private readonly everyMs: number) {
    // Two connections of its own: its calls never queue behind another framework's.
    this.scheduler = new V1Scheduler(master, e => this.onEvent(e), 2)
  }

  async start(): Promise<void> {
    await this.scheduler.subscribe({
      user: 'root', name: 'footprint-probe', roles: ['*'], checkpoint: true, failover_timeout: 0,
      capabilities: [{ type: 'MULTI_ROLE' }, { type: 'PARTITION_AWARE' }],
    })
    this.timer = setInterval(() => this.launchOne(), this.everyMs)
  }

  /** The samples since the last call (ms), and a fresh start. */
  take(): ProbeSamples {
    const out = { accept: this.accept, acknowledge: this.acknowledge }
    this.accept = []
    this.acknowledge = []
    return out
  }

  async teardown(): Promise<void> {
    clearInterval(this.timer)
    await fetch(`${this.master}/master/teardown`, { method: 'POST', body: `frameworkId=${this.scheduler.frameworkId}` }).catch(() => {})
    this.scheduler.close()
  }

  private onEvent(e: SchedulerEvent): void {
    if (e.type === 'OFFERS') {
      // The full cluster's agents offer what its tasks leave (memory, disk, ports, no cpus): declined for good,
      // so that only the probe's own agents are offered again.
      const useless = []
      for (const o of e.offers.offers ?? []) {
        if (fits(o)) this.held.push(o)
        else useless.push(o.id)
      }
      if (useless.length) void this.scheduler.call('DECLINE', { decline: { offer_ids: useless, filters: { refuse_seconds: 3600 } } })
    } else if (e.type === 'RESCIND') {
      this.held = this.held.filter(o => o.id.value !== e.rescind.offer_id.value)
    } else if (e.type === 'UPDATE') {
      const status = e.update.status
      if (status.uuid) {
        const t0 = performance.now()
        void this.scheduler.call('ACKNOWLEDGE', { acknowledge: { agent_id: status.agent_id, task_id: status.task_id, uuid: status.uuid } })
          .then(code => { if (code === 202) this.acknowledge.push(performance.now() - t0) })
      }
      if (!['TASK_STAGING', 'TASK_STARTING', 'TASK_RUNNING', 'TASK_FINISHED'].includes(status.state)) {
        this.failed++
        this.lastFailure = `${status.task_id.value} ${status.state} ${status.message ?? ''}`
      }
    }
  }

  private launchOne(): void {
    const offer = this.held.shift()
    if (!offer) return
    const id = `probe-${this.seq++}`
    const resources = [
      { name: 'cpus', type: 'SCALAR', scalar: { value: TASK_CPUS }, allocation_info: { role: '*' } },
      { name: 'mem', type: 'SCALAR', scalar: { value: TASK_MEM }, allocation_info: { role: '*' } },
    ]
    const task = { name: id, task_id: { value: id }, agent_id: offer.agent_id, resources, command: { value: 'sleep 0.1' } }
    const t0 = performance.now()
    this.launched++
    // refuse_seconds 0: what the task leaves of the offer comes back at the next allocation, not in 5 s.
    void this.scheduler.call('ACCEPT', { accept: { offer_ids: [offer.id], operations: [{ type: 'LAUNCH', launch: { task_infos: [task] } }], filters: { refuse_seconds: 0 } } })
      .then(code => { if (code === 202) this.accept.push(performance.now() - t0) })
  }
}
