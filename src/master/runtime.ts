// Performs the effects master transitions queue (outbox.ts): scheduler streams, agent links, the registrar, operator
// event subscribers, timers and allocation runs. The only place in the master that does I/O on their behalf.

import { logger } from '../core/log.ts'
import { isTerminal, type TaskStatus } from '../core/v1/messages.ts'
import type { EffectRunner, Master } from './master.ts'
import type { Effect, TimerEvent } from './outbox.ts'
import type { OperatorEvents } from './operator-events.ts'
import type { RegistrarStore } from './registrar.ts'
import type { MasterState } from './state.ts'

const log = logger('master')

type Timer = { handle: ReturnType<typeof setTimeout>; repeat: boolean }

export class MasterRuntime implements EffectRunner {
  private readonly timers = new Map<string, Timer>()
  private allocationPending = false
  /** When the pending allocation was asked for (performance.now()): its allocation_run_latency_ms. */
  private allocationAskedAt = 0
  private stopped = false

  constructor(private readonly registrar: RegistrarStore, readonly events: OperatorEvents) {}

  perform(effects: Effect[], master: Master): void {
    if (this.stopped) return
    for (const e of effects) {
      try {
        this.performOne(e, master)
      } catch (err) {
        // One failed effect (a full disk under the registrar, a socket torn down) must not drop the ones after it.
        log.error(`Failed to perform ${e.type}: ${(err as Error).stack ?? err}`)
      }
    }
  }

  private performOne(e: Effect, master: Master): void {
    switch (e.type) {
      case 'toFramework':
        countRefusedTask(master, e.framework.id, e.event)
        e.framework.send(e.event)
        return
      case 'closeStream':
        if (e.error) e.framework.sendOn(e.stream, e.codec, { type: 'ERROR', error: { message: e.error } })
        e.stream.close()
        return
      case 'toAgent':
      case 'toLink': e.link.send(e.message); return
      case 'closeLink': e.link.close(e.reason); return
      case 'persist': {
        const then = e.then
        if (then) this.registrar.batch(e.ops, ok => { if (!this.stopped) master.onPersisted(then, ok) })
        else this.registrar.write(e.ops)
        return
      }
      case 'publish':
        if (e.event === 'TASK_UPDATED') countTaskEnd(master, e.payload)
        this.events.publish(e.event, e.payload)
        return
      case 'startTimer': this.startTimer(e.key, e.afterMs, e.event, e.repeat ?? false, master); return
      case 'cancelTimer': this.cancelTimer(e.key); return
      case 'allocate':
        if (this.allocationPending) return
        this.allocationPending = true
        this.allocationAskedAt = performance.now()
        setTimeout(() => {
          this.allocationPending = false
          master.state.metrics.allocationLatency.record(performance.now() - this.allocationAskedAt)
          if (!this.stopped) master.allocate()
        }, 0)
    }
  }

  private startTimer(key: string, ms: number, event: TimerEvent, repeat: boolean, master: Master) {
    this.cancelTimer(key)
    // The periodic allocation's latency: how late the timer fired (a busy event loop delays it).
    let due = performance.now() + ms
    const fire = () => {
      if (event.kind === 'allocate') {
        const late = performance.now() - due
        master.state.metrics.allocationLatency.record(Math.max(0, late))
        due += ms * Math.max(1, Math.ceil(late / ms))
      }
      if (!repeat) this.timers.delete(key)
      if (!this.stopped) master.onTimer(event)
    }
    this.timers.set(key, { handle: repeat ? setInterval(fire, ms) : setTimeout(fire, ms), repeat })
  }

  private cancelTimer(key: string) {
    const t = this.timers.get(key)
    if (!t) return
    if (t.repeat) clearInterval(t.handle)
    else clearTimeout(t.handle)
    this.timers.delete(key)
  }

  /** Deferred work waiting to run (master/event_queue_dispatches): a pending allocation, registrar writes in flight. */
  get pendingDispatches(): number { return (this.allocationPending ? 1 : 0) + (this.registrar.pendingWrites?.() ?? 0) }
  get allocationQueued(): number { return this.allocationPending ? 1 : 0 }

  /** Stops every timer, closes every stream and link, and closes the registrar (committing what is queued). */
  stop(state: MasterState) {
    this.stopped = true
    for (const key of [...this.timers.keys()]) this.cancelTimer(key)
    for (const fw of state.frameworks.values()) fw.stream?.close()
    for (const a of state.agents.values()) a.link?.close('master stopping')
    this.events.closeAll()
    this.registrar.close()
  }
}

/** A task's end as the operator stream hears it (tasks.ts publishes TASK_UPDATED on every change of state). */
function countTaskEnd(master: Master, payload: unknown) {
  const p = payload as { framework_id?: { value: string }; status?: TaskStatus; state?: TaskStatus['state'] }
  if (!p.state || !isTerminal(p.state)) return
  master.state.metrics.taskEnded(p.framework_id?.value, p.state, p.status?.source, p.status?.reason)
}

/** Tasks the master refuses before tracking them (invalid offers, TASK_ERROR): they are never published. */
function countRefusedTask(master: Master, frameworkId: string, event: unknown) {
  const e = event as { type?: string; update?: { status?: TaskStatus } }
  const status = e.type === 'UPDATE' ? e.update?.status : undefined
  if (!status || status.source !== 'SOURCE_MASTER') return
  if (status.state !== 'TASK_ERROR' && status.reason !== 'REASON_INVALID_OFFERS') return
  master.state.metrics.taskEnded(frameworkId, status.state, status.source, status.reason)
}
