// The services' live data: apps (with counts, and tasks for the app whose page is open), deployments with their
// reasons, and the launch queue with its offer statistics. Read once when the /v2/events stream attaches, then
// again only for what an event made stale (model/services.ts, markStale), batched: one flush 200 ms after the first
// event of a burst; what declined offers change at most every 2 s (they come with every offer round while an app
// waits); the queue only while a page that shows it is open. Nothing is polled.

import type { ServiceEvent } from '../../client/service-events.ts'
import { AuthRequired, request, RequestFailed } from '../api/http.ts'
import { followServiceEvents, type ServiceStreamState } from '../api/service-events.ts'
import { markStale, nothingStale, type AppJson, type DeploymentJson, type QueueItemJson, type Stale } from '../model/services.ts'
import { ObservableStore, useObservable } from './observable-store.ts'

const FLUSH_MS = 200
const OFFERS_EVERY_MS = 2000
const enc = encodeURIComponent

async function getJson<T>(what: string, path: string): Promise<T> {
  return (await request(what, path, { headers: { Accept: 'application/json' } })).json() as Promise<T>
}

const appPath = (id: string) => `/v2/apps/${id.split('/').filter(Boolean).map(enc).join('/')}?embed=app.tasks&embed=app.counts&embed=app.deployments&embed=app.lastTaskFailure`

export class ServicesStore extends ObservableStore {
  apps = new Map<string, AppJson>()
  deployments: DeploymentJson[] = []
  queue: QueueItemJson[] = []
  /** Whether the list has been read once (an empty map then means no apps). */
  loaded = false
  stream: ServiceStreamState = { state: 'connecting' }
  error: string | undefined
  private stale: Stale = nothingStale()
  private watched = new Map<string, number>()
  private flushTimer: ReturnType<typeof setTimeout> | undefined
  private offersReadAt = 0
  private deferTimer: ReturnType<typeof setTimeout> | undefined
  private queueViewers = 0
  private queueUnread = false
  private queueEverRead = false
  private follower: { stop(): void } | undefined

  /** Starts following /v2/events (once; again after a sign-in or a refusal). */
  start() {
    if (this.follower && this.stream.state !== 'signed-out') return
    this.follower?.stop()
    this.follower = followServiceEvents({
      event: e => this.onEvent(e),
      state: s => { this.stream = s; this.changed() },
    })
  }

  /** While an app's page is open its tasks are read on every change to it; returns the undo. */
  watch(id: string): () => void {
    this.watched.set(id, (this.watched.get(id) ?? 0) + 1)
    this.stale.apps.add(id)
    this.schedule()
    return () => {
      const n = (this.watched.get(id) ?? 1) - 1
      if (n) this.watched.set(id, n)
      else this.watched.delete(id)
    }
  }

  private onEvent(e: ServiceEvent) {
    markStale(this.stale, e.type, e.data)
    this.schedule()
  }

  private schedule() {
    if (this.flushTimer) return
    this.flushTimer = setTimeout(() => { this.flushTimer = undefined; void this.flush() }, FLUSH_MS)
  }

  private async flush() {
    const s = this.stale
    this.stale = nothingStale()
    // Apps whose page is not open are refreshed through the list (counts only): one request, whatever the burst.
    const details = [...s.apps].filter(id => this.watched.has(id))
    if ([...s.apps].some(id => !this.watched.has(id))) s.list = true
    // Declined offers come with every offer round while an app waits: what they change is read at most every 2 s.
    if (s.offers) {
      const wait = OFFERS_EVERY_MS - (Date.now() - this.offersReadAt)
      if (wait <= 0) { this.offersReadAt = Date.now(); s.deployments = true; s.queue = true } else this.defer(wait)
    }
    // The queue (offer statistics, launch delays) only while a page that shows it is open; read when one opens.
    if (s.queue && !this.queueViewers) { this.queueUnread = true; s.queue = false }
    try {
      await Promise.all([
        s.list ? this.readList() : undefined,
        s.deployments ? getJson<DeploymentJson[]>('reading deployments', '/v2/deployments?embed=reasons').then(d => { this.deployments = d }) : undefined,
        s.queue ? getJson<{ queue: QueueItemJson[] }>('reading the launch queue', '/v2/queue?embed=lastUnusedOffers').then(q => { this.queue = q.queue }) : undefined,
        ...details.map(id => this.readApp(id)),
      ])
      this.error = undefined
    } catch (err) {
      this.error = err instanceof AuthRequired ? 'Sign in to see this.' : (err as Error).message
    }
    this.changed()
  }

  private defer(ms: number) {
    this.stale.offers = true
    if (this.deferTimer) return
    this.deferTimer = setTimeout(() => { this.deferTimer = undefined; this.schedule() }, ms)
  }

  /** While a page that shows the queue is open, it is kept fresh; returns the undo. */
  showQueue(): () => void {
    this.queueViewers++
    if (this.queueUnread || !this.queueEverRead) { this.queueUnread = false; this.queueEverRead = true; this.stale.queue = true; this.schedule() }
    return () => { this.queueViewers-- }
  }

  private async readList() {
    const { apps } = await getJson<{ apps: AppJson[] }>('listing apps', '/v2/apps?embed=apps.counts&embed=apps.deployments')
    const next = new Map<string, AppJson>()
    // The list has no tasks: keep those an open page read, until its own read replaces them.
    for (const a of apps) { const old = this.apps.get(a.id); next.set(a.id, old?.tasks ? { ...a, tasks: old.tasks, lastTaskFailure: old.lastTaskFailure } : a) }
    this.apps = next
    this.loaded = true
  }

  private async readApp(id: string) {
    try {
      const { app } = await getJson<{ app: AppJson }>(`reading app ${id}`, appPath(id))
      this.apps.set(app.id, app)
    } catch (err) {
      if (err instanceof RequestFailed && err.status === 404) this.apps.delete(id)
      else throw err
    }
  }

}

export const servicesStore = new ServicesStore()

/** Re-renders the calling component whenever the services' data changes (following the stream from then on). */
export function useServices(): ServicesStore {
  return useObservable(servicesStore, s => s.start())
}
