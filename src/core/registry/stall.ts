// Bounding registry requests (docs/security-files.md, pull timeouts): a request that makes no progress for the stall
// timeout — no response headers (connecting included), or no body bytes — is aborted, as Mesos' docker fetcher
// runs curl with `-y <--fetcher_stall_timeout>` (src/uri/fetchers/docker.cpp); and the pull's own signal (the task
// was killed) aborts it at once. Without this a registry that accepts TCP and never answers hangs a pull forever.

/** Where a request stalled: waiting for the response (connecting included), or in the middle of its body. */
export type StallPhase = 'answer' | 'body'

/** Aborts `signal` when `poke()` has not been called for `ms`, or when `cancel` aborts; `done()` releases it. */
export class StallTimer {
  private readonly ctl = new AbortController()
  private timer?: ReturnType<typeof setTimeout>
  private phase: StallPhase = 'answer'
  private readonly onCancel = () => this.ctl.abort(this.cancel?.reason)

  constructor(private readonly ms: number, private readonly onStall: (phase: StallPhase) => Error, private readonly cancel?: AbortSignal) {
    if (cancel?.aborted) this.ctl.abort(cancel.reason)
    else cancel?.addEventListener('abort', this.onCancel, { once: true })
    this.poke()
  }

  get signal(): AbortSignal { return this.ctl.signal }

  /** Progress (the response arrived, body bytes arrived): the stall clock starts again. */
  poke(phase: StallPhase = this.phase) {
    this.phase = phase
    clearTimeout(this.timer)
    if (!this.ctl.signal.aborted) this.timer = setTimeout(() => this.ctl.abort(this.onStall(this.phase)), this.ms)
  }

  done() {
    clearTimeout(this.timer)
    this.cancel?.removeEventListener('abort', this.onCancel)
  }
}

/** Sleeps, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (!signal) return Bun.sleep(ms)
  signal.throwIfAborted()
  return new Promise((resolve, reject) => {
    const onAbort = () => { clearTimeout(t); reject(signal.reason) }
    const t = setTimeout(() => { signal.removeEventListener('abort', onAbort); resolve() }, ms)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}

/** `p`, or the signal's reason as soon as it aborts (`p` itself runs on; its result is then ignored). */
export function raceSignal<T>(p: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return p
  if (signal.aborted) return Promise.reject(signal.reason)
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    p.then(v => { signal.removeEventListener('abort', onAbort); resolve(v) }, e => { signal.removeEventListener('abort', onAbort); reject(e) })
  })
}

/**
 * Work several callers wait for (one pull of an image, one /v2/ probe): each caller may give up with its own signal
 * and is answered at once; the work itself is aborted only once every caller has given up. A caller without a
 * signal never gives up.
 */
export class SharedWork<T> {
  private readonly ctl = new AbortController()
  private waiting = 0
  private committed = false
  readonly promise: Promise<T>

  constructor(work: (signal: AbortSignal) => Promise<T>) {
    this.promise = work(this.ctl.signal)
    this.promise.catch(() => { /* answered to each caller through join() */ })
  }

  join(signal?: AbortSignal): Promise<T> {
    if (!signal) { this.committed = true; return this.promise }
    this.waiting++
    return raceSignal(this.promise, signal).catch(err => {
      if (signal.aborted && --this.waiting === 0 && !this.committed) this.ctl.abort(signal.reason)
      throw err
    })
  }
}
