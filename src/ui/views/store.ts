// The page's live data: the cluster state reduced from the SUBSCRIBE stream, usage samples for the charts, the
// leading master, and the connection's state. Views read it through useStore(), which re-renders at most once per
// animation frame however fast events arrive.

import { operatorCall, request } from '../api/http.ts'
import { subscribe, type Connection } from '../api/subscription.ts'
import { applyEvent, emptyClusterState, isTerminal, type ClusterState, type OperatorEvent } from '../model/cluster-state.ts'
import { addScalars, CHARTED, zeroScalars, type Charted, type Scalars } from '../model/resources.ts'
import { Series } from '../model/series.ts'
import { ObservableStore, useObservable } from './observable-store.ts'

/** One usage sample every SAMPLE_MS, SAMPLES kept: the last 10 minutes. */
export const SAMPLE_MS = 5000
export const SAMPLES = 120

export interface MasterSummary { id?: string; hostname?: string; address?: string; version?: string; startTime?: number; electedTime?: number }

/** GET /api/meso/v1/masters (src/master/ha/masters-view.ts): every master in the group, the leader marked. */
export interface MastersView { masters: { id: string; address: string; hostname?: string; leading: boolean }[]; source: 'zookeeper' | 'standalone'; errors?: string[] }

export interface Usage { used: Scalars; total: Scalars }

export class Store extends ObservableStore {
  cluster: ClusterState = emptyClusterState()
  connection: Connection = { state: 'connecting' }
  leader: MasterSummary | undefined
  masters: MastersView | undefined
  readonly usage = Object.fromEntries(CHARTED.map(k => [k, new Series<number>(SAMPLES)])) as Record<Charted, Series<number>>
  private sub: ReturnType<typeof subscribe> | undefined
  private sampler: ReturnType<typeof setInterval> | undefined

  start() {
    this.sub = subscribe({
      event: e => this.onEvent(e),
      connection: c => {
        this.connection = c
        if (c.state === 'live') { void this.loadLeader(); void this.loadMasters() }
        this.changed()
      },
    })
    this.sampler = setInterval(() => this.sample(), SAMPLE_MS)
  }

  stop() { this.sub?.stop(); clearInterval(this.sampler) }

  /** After signing in: subscribe again at once. */
  retry() { this.sub?.retry() }

  private onEvent(e: OperatorEvent) {
    const before = this.cluster.version
    applyEvent(this.cluster, e)
    if (e.type === 'SUBSCRIBED') this.sample()
    if (this.cluster.version !== before) this.changed()
  }

  private async loadLeader() {
    try {
      const r = await operatorCall<{ get_master?: { master_info?: { id?: string; hostname?: string; address?: { ip?: string; port?: number }; version?: string }; start_time?: number; elected_time?: number } }>({ type: 'GET_MASTER' })
      const m = r.get_master
      const info = m?.master_info
      this.leader = { id: info?.id, hostname: info?.hostname, address: info?.address ? `${info.address.ip}:${info.address.port}` : undefined, version: info?.version, startTime: m?.start_time, electedTime: m?.elected_time }
      this.changed()
    } catch { /* the overview shows the leader as unknown; the stream itself says whether the master answers */ }
  }

  /** Read when the stream (re)connects: a failover or a master joining shows on the next reconnection. */
  private async loadMasters() {
    try {
      this.masters = (await (await request('listing the masters', '/api/meso/v1/masters', { headers: { Accept: 'application/json' } })).json()) as MastersView
      this.changed()
    } catch { /* an older master has no such endpoint: the overview shows the leader alone */ }
  }

  /** Used (active tasks' resources) and total (agents' resources) now. */
  usageNow(): Usage {
    const total = zeroScalars()
    for (const a of this.cluster.agents.values()) addScalars(total, a.total_resources ?? a.agent_info.resources)
    const used = zeroScalars()
    for (const t of this.cluster.tasks.values()) if (!isTerminal(t.state)) addScalars(used, t.resources)
    return { used, total }
  }

  private sample() {
    if (!this.cluster.subscribed) return
    const { used } = this.usageNow()
    const now = Date.now()
    for (const k of CHARTED) this.usage[k].push(now, used[k])
    this.changed()
  }

}

export const store = new Store()

/** Re-renders the calling component whenever the store changes. */
export function useStore(): Store {
  return useObservable(store)
}
