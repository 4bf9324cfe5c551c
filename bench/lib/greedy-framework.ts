// The benchmark's framework: accepts every offer with as many small tasks (0.1 cpus, 32 MB) as fit, acknowledges
// every update as a real scheduler must, and records when each task's TASK_RUNNING arrives relative to the ACCEPT
// that launched it.
//
// `maxInFlight` bounds the tasks launched but not yet running, as production frameworks do (Marathon's launch
// tokens, Aurora's batch sizes); offers arriving while the bound is reached are held and used as tasks come up.
// Without it, 10k agents' first offers launch 100k tasks in one go, and the benchmark measures how long that one
// burst takes to drain instead of a sustained rate. `maxTasks` stops launching at an exact total (declining further
// offers), which is how the footprint benchmark fills a cluster to a given size.

import { V1Scheduler, type SchedulerEvent } from './v1-scheduler.ts'

export interface GreedyOptions {
  master: string
  taskCpus?: number
  taskMem?: number
  /** Launch at most this many tasks in all. */
  maxTasks?: number
  /** Tasks launched but not yet TASK_RUNNING, at most (a few over: an accepted offer is filled whole). */
  maxInFlight?: number
  name?: string
  /** Pipelined HTTP connections for calls. */
  connections?: number
}

const EPS = 1e-9

export class GreedyFramework {
  readonly scheduler: V1Scheduler
  launched = 0
  running = 0
  finished = 0
  /** Tasks that ended any other way (lost, failed, error, killed): a healthy run has none before TEARDOWN. */
  failed = 0
  offers = 0
  accepts = 0
  declines = 0
  rescinds = 0
  /** ACCEPT → TASK_RUNNING, ms, in arrival order. */
  readonly latencies: number[] = []
  /** ACCEPT → TASK_STARTING, ms: the first half of the above (the second waits for STARTING's acknowledgement). */
  readonly startingLatencies: number[] = []
  /** TASK_RUNNING arrivals per 100 ms since `start`. */
  readonly runningPer100ms: number[] = []
  lastFailure = ''
  private readonly acceptedAt = new Map<string, number>()
  private readonly held: any[] = []
  private readonly cpus: number
  private readonly mem: number
  private started = 0
  private seq = 0
  private stopped = false

  constructor(private readonly opts: GreedyOptions) {
    this.cpus = opts.taskCpus ?? 0.1
    this.mem = opts.taskMem ?? 32
    this.scheduler = new V1Scheduler(opts.master, e => this.onEvent(e), opts.connections ?? 16)
  }

  get inFlight(): number { return this.acceptedAt.size }

  async start(): Promise<void> {
    await this.scheduler.subscribe({
      user: 'root', name: this.opts.name ?? 'meso-bench', roles: ['*'], checkpoint: true, failover_timeout: 0,
      capabilities: [{ type: 'MULTI_ROLE' }, { type: 'PARTITION_AWARE' }],
    })
    this.started = performance.now()
  }

  /** Stops launching and acknowledging; the measurement is over. */
  stop(): void { this.stopped = true }

  /** TEARDOWN without waiting behind the calls still queued; the master kills every task. */
  async teardown(): Promise<void> {
    this.stopped = true
    await fetch(`${this.opts.master}/master/teardown`, { method: 'POST', body: `frameworkId=${this.scheduler.frameworkId}` }).catch(() => {})
    this.scheduler.close()
  }

  private onEvent(e: SchedulerEvent): void {
    if (this.stopped) return
    if (e.type === 'OFFERS') {
      for (const o of e.offers.offers ?? []) {
        this.offers++
        if (this.opts.maxInFlight !== undefined && this.inFlight >= this.opts.maxInFlight) this.held.push(o)
        else this.use(o)
      }
    } else if (e.type === 'UPDATE') {
      this.onUpdate(e.update.status)
    } else if (e.type === 'RESCIND') {
      const i = this.held.findIndex(o => o.id.value === e.rescind.offer_id.value)
      if (i >= 0) { this.held.splice(i, 1); this.rescinds++ }
    }
  }

  /** Launches on held offers while the in-flight bound allows. */
  private useHeld(): void {
    const cap = this.opts.maxInFlight ?? Infinity
    while (this.held.length && this.inFlight < cap) this.use(this.held.shift())
  }

  private use(offer: any): void {
    let cpus = 0
    let mem = 0
    let role = '*'
    for (const r of offer.resources ?? []) {
      if (r.name === 'cpus') cpus += r.scalar.value
      else if (r.name === 'mem') mem += r.scalar.value
      if (r.allocation_info?.role) role = r.allocation_info.role
    }
    const room = this.opts.maxTasks === undefined ? Infinity : this.opts.maxTasks - this.launched
    const n = Math.min(Math.floor((cpus + EPS) / this.cpus), Math.floor((mem + EPS) / this.mem), room)
    if (n <= 0) {
      this.declines++
      // Full, or done launching: keep the offer away for a while rather than bounce it back every cycle.
      void this.scheduler.call('DECLINE', { decline: { offer_ids: [offer.id], filters: { refuse_seconds: room <= 0 ? 3600 : 5 } } })
      return
    }
    const resources = [
      { name: 'cpus', type: 'SCALAR', scalar: { value: this.cpus }, allocation_info: { role } },
      { name: 'mem', type: 'SCALAR', scalar: { value: this.mem }, allocation_info: { role } },
    ]
    const tasks = []
    const now = performance.now()
    for (let i = 0; i < n; i++) {
      const id = `t${this.seq++}`
      this.acceptedAt.set(id, now)
      tasks.push({ name: id, task_id: { value: id }, agent_id: offer.agent_id, resources, command: { value: 'sleep 1' } })
    }
    this.launched += n
    this.accepts++
    void this.scheduler.call('ACCEPT', { accept: { offer_ids: [offer.id], operations: [{ type: 'LAUNCH', launch: { task_infos: tasks } }] } })
  }

  private onUpdate(status: any): void {
    const id: string = status.task_id.value
    if (status.uuid) void this.scheduler.call('ACKNOWLEDGE', { acknowledge: { agent_id: status.agent_id, task_id: status.task_id, uuid: status.uuid } })
    switch (status.state) {
      case 'TASK_STAGING': return
      case 'TASK_STARTING': {
        const t = this.acceptedAt.get(id)
        if (t !== undefined) this.startingLatencies.push(performance.now() - t)
        return
      }
      case 'TASK_RUNNING': {
        const t = this.acceptedAt.get(id)
        if (t === undefined) return
        this.acceptedAt.delete(id)
        const now = performance.now()
        this.latencies.push(now - t)
        this.running++
        const bucket = Math.floor((now - this.started) / 100)
        while (this.runningPer100ms.length <= bucket) this.runningPer100ms.push(0)
        this.runningPer100ms[bucket]!++
        this.useHeld()
        return
      }
      case 'TASK_FINISHED': this.finished++; return
      default:
        if (this.acceptedAt.delete(id)) this.useHeld()
        this.failed++
        this.lastFailure = `${id} ${status.state} ${status.reason ?? ''} ${status.message ?? ''}`
    }
  }
}
