// What every live store of the page shares: listeners told of a change at most once per animation frame (however
// fast events arrive), and the Preact hook that re-renders a component on each such change.

import { useEffect, useState } from 'preact/hooks'

export class ObservableStore {
  private listeners = new Set<() => void>()
  private frame = 0

  listen(f: () => void): () => void {
    this.listeners.add(f)
    return () => this.listeners.delete(f)
  }

  /** Marks the store changed: its listeners run once, on the next animation frame. */
  protected changed() {
    if (this.frame) return
    this.frame = requestAnimationFrame(() => {
      this.frame = 0
      for (const f of this.listeners) f()
    })
  }
}

/** Re-renders the calling component whenever `store` changes; `onMount` runs first, once per mounted component. */
export function useObservable<S extends ObservableStore>(store: S, onMount?: (store: S) => void): S {
  const [, setTick] = useState(0)
  useEffect(() => { onMount?.(store); return store.listen(() => setTick(t => t + 1)) }, [])
  return store
}
