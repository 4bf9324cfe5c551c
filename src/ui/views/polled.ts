// What the operator event stream does not carry (jobs, the maintenance status) is read while a page that shows it
// is open: now, then every few seconds, and never once the page is left.

import { useEffect, useState } from 'preact/hooks'
import { AuthRequired, RequestFailed } from '../api/http.ts'

export interface Polled<T> { data?: T; error?: string; missing?: boolean }

/** Calls `load` now and every `everyMs` while mounted (and again when `key` changes); the last answer or error. */
export function usePolled<T>(key: string, load: (signal: AbortSignal) => Promise<T>, everyMs = 5000): Polled<T> {
  const [state, setState] = useState<Polled<T>>({})
  useEffect(() => {
    const c = new AbortController()
    let timer: ReturnType<typeof setTimeout> | undefined
    const tick = async () => {
      try {
        const data = await load(c.signal)
        if (!c.signal.aborted) setState({ data })
      } catch (err) {
        if (c.signal.aborted) return
        if (err instanceof RequestFailed && err.status === 404) setState({ missing: true, error: err.message })
        else setState(s => ({ ...s, error: err instanceof AuthRequired ? 'Sign in to see this.' : (err as Error).message }))
      }
      if (!c.signal.aborted) timer = setTimeout(tick, everyMs)
    }
    void tick()
    return () => { c.abort(); clearTimeout(timer) }
  }, [key])
  return state
}
