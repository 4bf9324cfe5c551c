// The client's table of one-shot watches, kept by kind the way the Java client does (ZKWatchManager:
// dataWatches, existWatches, childWatches): which ones an event fires, and the lists a reconnect sends back to
// the server in SetWatches so the same watches stay armed across a change of server. Pure.

import type { WatchEventType } from './records.ts'

export interface WatchEvent {
  type: WatchEventType
  path: string
}

export type Watcher = (event: WatchEvent) => void

/** data: set by getData, or by exists on a node that exists; exist: by exists on a node that does not; child:
 * by getChildren. */
export type WatchKind = 'data' | 'exist' | 'child'

export class WatchRegistry {
  private readonly tables: Record<WatchKind, Map<string, Set<Watcher>>> = { data: new Map(), exist: new Map(), child: new Map() }

  /** The same function registered twice on one path and kind fires once, as in the Java client. */
  add(kind: WatchKind, path: string, watcher: Watcher) {
    const table = this.tables[kind]
    let set = table.get(path)
    if (!set) table.set(path, (set = new Set()))
    set.add(watcher)
  }

  /** Removes and returns the watchers `event` fires (ZKWatchManager.materialize): created and changed fire
   * data and exist watches, deleted fires data, exist and child watches, children-changed fires child watches. */
  take(event: WatchEvent): Watcher[] {
    const kinds: WatchKind[] =
      event.type === 'NodeChildrenChanged' ? ['child'] : event.type === 'NodeDeleted' ? ['data', 'exist', 'child'] : ['data', 'exist']
    const fired = new Set<Watcher>()
    for (const kind of kinds) {
      const set = this.tables[kind].get(event.path)
      if (!set) continue
      this.tables[kind].delete(event.path)
      for (const w of set) fired.add(w)
    }
    return [...fired]
  }

  /** The armed paths by kind, for SetWatches after a reconnect. */
  paths(): Record<WatchKind, string[]> {
    return { data: [...this.tables.data.keys()], exist: [...this.tables.exist.keys()], child: [...this.tables.child.keys()] }
  }

  get size(): number {
    return this.tables.data.size + this.tables.exist.size + this.tables.child.size
  }

  clear() {
    for (const t of Object.values(this.tables)) t.clear()
  }
}
