// Runs the master's built-in frameworks (the jobs scheduler, src/master/jobs/; the services scheduler next) inside
// the leading master's process, each as an ordinary framework: it subscribes through the public v1 scheduler HTTP
// API on the master's own address, with its own principal when framework authentication is on, `checkpoint` and a
// failover timeout so its tasks outlive a master restart or failover, and its framework id in its key-value
// namespace (store.ts) so it re-subscribes as itself and reconciles. The host knows nothing about what a framework
// does: it subscribes, re-subscribes after a broken stream, acknowledges status updates once the framework has
// handled them, and carries the framework's calls.
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

/** One framework's subscription, kept alive until stop(). */
export class FrameworkHost {
  private abort = new AbortController()
  private stopped = false
  private streamId?: string
  private frameworkId?: string

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
    const url = `${this.opts.masterUrl}/api/v1/scheduler`
    const res = await fetch(url, {
      method: 'POST', ...fetchTls(url), signal: this.abort.signal,
      headers: this.headers({ 'Mesos-Stream-Id': this.streamId }),
      body: JSON.stringify({ type, framework_id: { value: this.frameworkId }, ...body }),
    })
    if (res.status !== 202 && res.status !== 200) throw new Error(`${this.framework.name}: ${type} failed: ${res.status} ${(await res.text()).slice(0, 500)}`)
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
      for (const rec of dec.push(value)) await this.handle(JSON.parse(text.decode(rec)) as FrameworkEvent)
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
    try {
      await this.framework.onEvent(event, driver)
    } catch (err) {
      log.error(`${this.framework.name} framework failed on ${event.type}: ${(err as Error).stack ?? err}`)
    }
    const status = event.type === 'UPDATE' ? event.update?.status : undefined
    if (status?.uuid && status.agent_id) {
      await driver.call('ACKNOWLEDGE', { acknowledge: { agent_id: status.agent_id, task_id: status.task_id, uuid: status.uuid } })
        .catch(err => log.warn(`${this.framework.name}: acknowledging ${status.task_id.value}: ${(err as Error).message}`))
    }
  }
}
