// What a probe's outcome means: for a check, the CheckStatusInfo an update carries (upstream Checker::
// processCheckResult in src/checks/checker.cpp); for a health check, healthy or not, and when the executor sends a
// health update or kills the task (HealthChecker::failure/success in src/checks/health_checker.cpp). Pure: time comes
// in as arguments.

import type { CheckStatusInfo, CheckType } from './check-types.ts'

/**
 * One probe's outcome. `result`: the probe ran (a command's exit code, an HTTP status, whether a TCP connection was
 * made). `error`: it could not tell (timed out, the command died of a signal, curl-like failure to get a response).
 * `transient`: nothing to say this time (the checker was paused while it ran); upstream ignores these silently.
 */
export type ProbeOutcome =
  | { kind: 'result'; status: CheckStatusInfo }
  | { kind: 'error'; message: string }
  | { kind: 'transient' }

/** The CheckStatusInfo of a task with a check and no result yet (or whose last probe failed): its type, nothing else. */
export function emptyCheckStatus(type: CheckType): CheckStatusInfo {
  switch (type) {
    case 'COMMAND': return { type, command: {} }
    case 'HTTP': return { type, http: {} }
    case 'TCP': return { type, tcp: {} }
  }
}

/** Why a result counts as a health check failure (upstream interpretCheckStatusInfo), or undefined when it passed. */
export function healthFailure(s: CheckStatusInfo): string | undefined {
  switch (s.type) {
    case 'COMMAND': {
      const code = s.command?.exit_code ?? 0
      return code === 0 ? undefined : `Command exited with status ${code}`
    }
    case 'HTTP': {
      const code = s.http?.status_code ?? 0
      // 2xx and 3xx are healthy (redirects are followed, so a 3xx is one that led nowhere further).
      return code >= 200 && code < 400 ? undefined : `Unexpected HTTP response code: ${code}`
    }
    case 'TCP': return s.tcp?.succeeded ? undefined : 'TCP connection failed'
  }
}

const sameStatus = (a: CheckStatusInfo, b: CheckStatusInfo) => JSON.stringify(a) === JSON.stringify(b)

/** A check's results, reported only when they change (an error reports the empty status). */
export class CheckStatusTracker {
  private previous: CheckStatusInfo
  constructor(readonly type: CheckType) { this.previous = emptyCheckStatus(type) }

  /** The status to send, or undefined when it is the same as the last one sent. */
  next(outcome: ProbeOutcome): CheckStatusInfo | undefined {
    if (outcome.kind === 'transient') return undefined
    const status = outcome.kind === 'result' ? outcome.status : emptyCheckStatus(this.type)
    if (sameStatus(status, this.previous)) return undefined
    this.previous = status
    return status
  }
}

/** What the executor does after a health probe: send `healthy`, and kill the task once failures reach the limit. */
export interface HealthUpdate {
  healthy: boolean
  consecutiveFailures: number
  killTask: boolean
  /** Why the probe failed (for the executor's log). */
  reason?: string
}

export interface HealthPolicy {
  /** Failures while no probe has passed yet, within this long of the start, are ignored. */
  graceMs: number
  /** Failures in a row that kill the task. */
  consecutiveFailures: number
}

/**
 * Health of one task. A failure in the grace period before the first success is ignored; after it every failure is
 * reported (healthy: false, with the count) and the one that reaches `consecutiveFailures` kills the task; a success
 * is reported when it is the first one, or the first after failures.
 */
export class HealthTracker {
  private initializing = true
  private failures = 0

  constructor(private readonly policy: HealthPolicy, private readonly startedAt: number) {}

  get consecutiveFailures(): number { return this.failures }

  /** `now` in ms, on the same clock as `startedAt`. Undefined: nothing to send. */
  next(outcome: ProbeOutcome, now: number): HealthUpdate | undefined {
    if (outcome.kind === 'transient') return undefined
    const reason = outcome.kind === 'error' ? outcome.message : healthFailure(outcome.status)
    if (reason === undefined) {
      const report = this.initializing || this.failures > 0
      this.initializing = false
      this.failures = 0
      return report ? { healthy: true, consecutiveFailures: 0, killTask: false } : undefined
    }
    if (this.initializing && this.policy.graceMs > 0 && now - this.startedAt <= this.policy.graceMs) return undefined
    this.failures++
    return { healthy: false, consecutiveFailures: this.failures, killTask: this.failures >= this.policy.consecutiveFailures, reason }
  }
}
