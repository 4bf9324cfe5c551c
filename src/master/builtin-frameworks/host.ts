// Runs the master's built-in frameworks (the jobs scheduler, src/master/jobs/; the services scheduler,
// src/master/services/) inside the leading master's process, each as an ordinary framework: it subscribes through
// the public v1 scheduler HTTP API on the master's own address, with its own principal when framework
// authentication is on, `checkpoint` and a failover timeout so its tasks outlive a master restart or failover, and
// its framework id in its key-value namespace (store.ts) so it re-subscribes as itself and reconciles. The host
// knows nothing about what a framework does: it subscribes, re-subscribes after a broken stream, acknowledges status
// updates once the framework has handled them, and carries the framework's calls.
//
// Cheap per task: the status updates that arrive together (one read of the event stream) are handed to the
// framework inside one key-value batch (store.ts), so what it records for all of them is one registrar transaction,
// and their acknowledgements go out together once that is durable, without holding up the stream. Calls run
// concurrently, at most MAX_CALLS_IN_FLIGHT at a time.
//
// src/client/scheduler-client.ts is the CLI's client: it gives up after 30 s and has no per-request credentials;
// a built-in framework must keep trying for as long as the master leads, so the host has its own small loop.

import { logger } from '../../core/log.ts'
import { basicHeader } from '../../core/auth.ts'
import { RecordIODecoder } from '../../core/recordio.ts'
import type { FrameworkInfo, TaskStatus } from '../../core/v1/messages.ts'
import { fetchTls } from '../../client/tls.ts'
import type { NamespaceStore } from './store.ts'

const log = logger('frameworks')

/** A scheduler event as JSON (mesos.v1.scheduler.Event). */
export interface FrameworkEvent {
  type: string
  subscribed?: { framework_id: { value: string } }
  offers?: { offers?: any[] }
  rescind?: { offer_id: { value: string } }
  update?: { status: TaskStatus }
  error?: { message: string }
  [k: string]: unknown
}

/** What a built-in framework may ask of the master. */
export interface SchedulerDriver {
  /** One scheduler call (ACCEPT, DECLINE, KILL, RECONCILE, REVIVE, SUPPRESS…) with the framework's id. */
  call(type: string, body?: Record<string, unknown>): Promise<void>
  readonly frameworkId: string
}

export interface BuiltinFramework {
  /** Its key-value namespace and log name (`jobs`). */
  readonly name: string
  /** Its FrameworkInfo, without an id (the host adds the stored one). */
  frameworkInfo(): FrameworkInfo
  /** Subscribed (first time or again): reconcile here. */
  onSubscribed(driver: SchedulerDriver): void | Promise<void>
  onEvent(event: FrameworkEvent, driver: SchedulerDriver): void | Promise<void>
  /** The subscription broke; calls fail until the next onSubscribed. */
  onDisconnected(): void
  stop(): void
}

export interface HostOptions {
  /** The master's own URL (http(s)://ip:port). */
  masterUrl: string
  /** Basic credentials for the scheduler API when the master authenticates frameworks. */
  credential?: { principal: string; secret: string }
}

const RETRY_MS = 1000
const FRAMEWORK_ID_KEY = 'framework-id'
/** Enough concurrent calls to hide the round trips of a burst of acknowledgements, few enough not to flood the master. */
const MAX_CALLS_IN_FLIGHT = 32

/** One framework's subscription, kept alive until stop(). */
export class FrameworkHost {
  private abort = new AbortController()
  private stopped = false
  private streamId?: string
  private frameworkId?: string
  private callsInFlight = 0
  /** Calls waiting for one in flight to finish; each is handed that call's slot. */
  private readonly callsWaiting: (() => void)[] = []

  constructor(private readonly framework: BuiltinFramework, private readonly store: NamespaceStore, private readonly opts: HostOptions) {
    this.frameworkId = store.get(FRAMEWORK_ID_KEY)
  }

  start(): void { void this.loop() }

  stop(): void {
    this.stopped = true
    this.abort.abort()
    this.framework.stop()
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    const c = this.opts.credential
    return { 'Content-Type': 'application/json', Accept: 'application/json', ...(c ? { Authorization: basicHeader(c.principal, c.secret) } : {}), ...extra }
  }

  private readonly driver: SchedulerDriver = this.makeDriver()

  private makeDriver(): SchedulerDriver {
    const host = this
    return {
      get frameworkId() { return host.frameworkId ?? '' },
      call: (type, body) => host.call(type, body),
    }
  }

  private async call(type: string, body: Record<string, unknown> = {}): Promise<void> {
    if (!this.frameworkId || !this.streamId) throw new Error(`${this.framework.name}: cannot send ${type}: not subscribed`)
    // A call asked for inside a key-value batch (a KILL decided while handling a burst of updates, or by a tick)
    // leaves once the code that made it has returned, so after the batch's write: never ahead of what led to it.
    await Promise.resolve()
    if (this.callsInFlight < MAX_CALLS_IN_FLIGHT) this.callsInFlight++
    else await new Promise<void>(resolve => this.callsWaiting.push(resolve))
    try {
      // Subscribed again, or not at all, while this call waited its turn.
      if (!this.frameworkId || !this.streamId) throw new Error(`${this.framework.name}: cannot send ${type}: not subscribed`)
      const url = `${this.opts.masterUrl}/api/v1/scheduler`
      const res = await fetch(url, {
        method: 'POST', ...fetchTls(url), signal: this.abort.signal,
        headers: this.headers({ 'Mesos-Stream-Id': this.streamId }),
        body: JSON.stringify({ type, framework_id: { value: this.frameworkId }, ...body }),
      })
      if (res.status !== 202 && res.status !== 200) throw new Error(`${this.framework.name}: ${type} failed: ${res.status} ${(await res.text()).slice(0, 500)}`)
    } finally {
      const next = this.callsWaiting.shift()
      if (next) next()
      else this.callsInFlight--
    }
  }

  private async loop(): Promise<void> {
    let lastError = ''
    while (!this.stopped) {
      try {
        await this.subscribeOnce()
        lastError = ''
      } catch (err) {
        const msg = (err as Error).message
        if (this.stopped) return
        // Said once per distinct failure, not once a second.
        if (msg !== lastError) log.warn(`${this.framework.name} framework: ${msg}; retrying`)
        lastError = msg
      }
      this.streamId = undefined
      this.framework.onDisconnected()
      if (!this.stopped) await Bun.sleep(RETRY_MS)
    }
  }

  private async subscribeOnce(): Promise<void> {
    const info: FrameworkInfo = { ...this.framework.frameworkInfo(), ...(this.frameworkId ? { id: { value: this.frameworkId } } : {}) }
    const url = `${this.opts.masterUrl}/api/v1/scheduler`
    const res = await fetch(url, {
      method: 'POST', ...fetchTls(url), signal: this.abort.signal, headers: this.headers(),
      body: JSON.stringify({ type: 'SUBSCRIBE', subscribe: { framework_info: info } }),
    })
    if (res.status !== 200) throw new Error(`SUBSCRIBE answered ${res.status}: ${(await res.text()).slice(0, 500)}`)
    this.streamId = res.headers.get('mesos-stream-id') ?? undefined
    const dec = new RecordIODecoder()
    const reader = res.body!.getReader()
    const text = new TextDecoder()
    for (;;) {
      const { value, done } = await reader.read()
      if (done) throw new Error('the master closed the event stream')
      const events = dec.push(value).map(rec => JSON.parse(text.decode(rec)) as FrameworkEvent)
      for (let n = 0; n < events.length;) {
        if (events[n]!.type !== 'UPDATE') { await this.handle(events[n]!); n++; continue }
        let end = n + 1
        while (end < events.length && events[end]!.type === 'UPDATE') end++
        await this.handleUpdates(events.slice(n, end))
        n = end
      }
    }
  }

  /**
   * Status updates that came together: handed to the framework in one key-value batch (one registrar transaction
   * for all it records), then each acknowledged once that is durable and the framework is done with it. The
   * acknowledgements are not waited for: the next events need not queue behind their round trips.
   */
  private async handleUpdates(updates: FrameworkEvent[]): Promise<void> {
    const handled: Promise<void>[] = []
    try {
      this.store.batch(() => { for (const event of updates) handled.push(this.deliver(event)) })
    } catch (err) {
      // Not acknowledged: the agents send them again, and the framework sees them again then.
      log.error(`${this.framework.name} framework: recording ${updates.length} status update(s) failed: ${(err as Error).message}`)
      return
    }
    for (let n = 0; n < updates.length; n++) {
      const status = updates[n]!.update?.status
      // Reconciliation answers carry no uuid: nothing to acknowledge.
      if (!status?.uuid || !status.agent_id) continue
      void handled[n]!
        .then(() => this.driver.call('ACKNOWLEDGE', { acknowledge: { agent_id: status.agent_id, task_id: status.task_id, uuid: status.uuid } }))
        .catch(err => log.warn(`${this.framework.name}: acknowledging ${status.task_id.value}: ${(err as Error).message}`))
    }
    await Promise.all(handled)
  }

  /** One event to the framework; a failure is the framework's, logged, and does not end the subscription. */
  private async deliver(event: FrameworkEvent): Promise<void> {
    try {
      await this.framework.onEvent(event, this.driver)
    } catch (err) {
      log.error(`${this.framework.name} framework failed on ${event.type}: ${(err as Error).stack ?? err}`)
    }
  }

  private async handle(event: FrameworkEvent): Promise<void> {
    const driver = this.driver
    if (event.type === 'SUBSCRIBED') {
      this.frameworkId = event.subscribed!.framework_id.value
      this.store.put(FRAMEWORK_ID_KEY, this.frameworkId)
      log.info(`${this.framework.name} framework subscribed as ${this.frameworkId}`)
      await this.framework.onSubscribed(driver)
      return
    }
    if (event.type === 'ERROR') {
      // The master removed the framework (its failover timeout passed, or an operator tore it down): its tasks are
      // gone, so the next subscription starts as a new framework.
      log.warn(`${this.framework.name} framework: the master ended it: ${event.error?.message}; subscribing anew`)
      this.frameworkId = undefined
      this.store.remove(FRAMEWORK_ID_KEY)
      throw new Error(`ERROR event: ${event.error?.message}`)
    }
    if (event.type === 'HEARTBEAT') return
    await this.deliver(event)
  }
}
