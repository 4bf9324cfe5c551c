// The decision logic of checks and health checks (src/agent/checks/): what a result means, when health is reported
// and the task killed (grace period, consecutive failures), when check_status changes, when probes run (a fake
// clock), and the validation of HealthCheck/CheckInfo with upstream's messages.

import { describe, expect, test } from 'bun:test'
import { CheckStatusTracker, emptyCheckStatus, healthFailure, HealthTracker, type ProbeOutcome } from '../../src/agent/checks/check-results.ts'
import { checkProbe, checkTiming, healthProbe, healthTiming } from '../../src/agent/checks/check-types.ts'
import { checkInfoError, groupTaskChecksError, healthCheckError, taskChecksError } from '../../src/agent/checks/check-validation.ts'
import { ProbeLoop, type Clock } from '../../src/agent/checks/probe-loop.ts'

const ok: ProbeOutcome = { kind: 'result', status: { type: 'COMMAND', command: { exit_code: 0 } } }
const bad: ProbeOutcome = { kind: 'result', status: { type: 'COMMAND', command: { exit_code: 1 } } }
const err: ProbeOutcome = { kind: 'error', message: 'Command timed out after 1secs' }

describe('what a result means for health', () => {
  test('exit 0, HTTP 2xx/3xx and a TCP connection are healthy', () => {
    expect(healthFailure({ type: 'COMMAND', command: { exit_code: 0 } })).toBeUndefined()
    expect(healthFailure({ type: 'COMMAND', command: { exit_code: 3 } })).toBe('Command exited with status 3')
    expect(healthFailure({ type: 'HTTP', http: { status_code: 200 } })).toBeUndefined()
    expect(healthFailure({ type: 'HTTP', http: { status_code: 399 } })).toBeUndefined()
    expect(healthFailure({ type: 'HTTP', http: { status_code: 404 } })).toBe('Unexpected HTTP response code: 404')
    expect(healthFailure({ type: 'HTTP', http: { status_code: 199 } })).toBe('Unexpected HTTP response code: 199')
    expect(healthFailure({ type: 'TCP', tcp: { succeeded: true } })).toBeUndefined()
    expect(healthFailure({ type: 'TCP', tcp: { succeeded: false } })).toBe('TCP connection failed')
  })
})

describe('HealthTracker', () => {
  test('the first success is reported, later ones only after failures', () => {
    const h = new HealthTracker({ graceMs: 0, consecutiveFailures: 3 }, 0)
    expect(h.next(ok, 1)).toEqual({ healthy: true, consecutiveFailures: 0, killTask: false })
    expect(h.next(ok, 2)).toBeUndefined()
    expect(h.next(bad, 3)).toMatchObject({ healthy: false, consecutiveFailures: 1, killTask: false })
    expect(h.next(ok, 4)).toEqual({ healthy: true, consecutiveFailures: 0, killTask: false })
    expect(h.next(ok, 5)).toBeUndefined()
  })

  test('every failure is reported and the one reaching consecutive_failures kills', () => {
    const h = new HealthTracker({ graceMs: 0, consecutiveFailures: 3 }, 0)
    expect(h.next(bad, 1)).toMatchObject({ healthy: false, consecutiveFailures: 1, killTask: false, reason: 'Command exited with status 1' })
    expect(h.next(err, 2)).toMatchObject({ healthy: false, consecutiveFailures: 2, killTask: false, reason: 'Command timed out after 1secs' })
    expect(h.next(bad, 3)).toMatchObject({ healthy: false, consecutiveFailures: 3, killTask: true })
  })

  test('failures in the grace period before the first success are ignored; after a success they count', () => {
    const h = new HealthTracker({ graceMs: 10_000, consecutiveFailures: 1 }, 1000)
    expect(h.next(bad, 5000)).toBeUndefined()
    expect(h.next(bad, 11_000)).toBeUndefined() // exactly at the end of the grace period: still ignored (<=)
    expect(h.next(bad, 11_001)).toMatchObject({ healthy: false, killTask: true })
    const g = new HealthTracker({ graceMs: 10_000, consecutiveFailures: 2 }, 0)
    expect(g.next(ok, 100)).toMatchObject({ healthy: true })
    expect(g.next(bad, 200)).toMatchObject({ healthy: false, consecutiveFailures: 1, killTask: false })
  })

  test('transient outcomes say nothing and do not count', () => {
    const h = new HealthTracker({ graceMs: 0, consecutiveFailures: 1 }, 0)
    expect(h.next({ kind: 'transient' }, 1)).toBeUndefined()
    expect(h.consecutiveFailures).toBe(0)
  })

  test('consecutive_failures 0 kills on the first failure after the grace period', () => {
    const h = new HealthTracker({ graceMs: 0, consecutiveFailures: 0 }, 0)
    expect(h.next(bad, 1)).toMatchObject({ killTask: true, consecutiveFailures: 1 })
  })
})

describe('CheckStatusTracker', () => {
  test('reports a result when it differs from the previous one; an error is the empty status', () => {
    const c = new CheckStatusTracker('TCP')
    expect(c.next({ kind: 'error', message: 'x' })).toBeUndefined() // empty, as at the start
    expect(c.next({ kind: 'result', status: { type: 'TCP', tcp: { succeeded: false } } })).toEqual({ type: 'TCP', tcp: { succeeded: false } })
    expect(c.next({ kind: 'result', status: { type: 'TCP', tcp: { succeeded: false } } })).toBeUndefined()
    expect(c.next({ kind: 'result', status: { type: 'TCP', tcp: { succeeded: true } } })).toEqual({ type: 'TCP', tcp: { succeeded: true } })
    expect(c.next({ kind: 'error', message: 'timed out' })).toEqual({ type: 'TCP', tcp: {} })
    expect(c.next({ kind: 'transient' })).toBeUndefined()
  })

  test('empty statuses name their type', () => {
    expect(emptyCheckStatus('COMMAND')).toEqual({ type: 'COMMAND', command: {} })
    expect(emptyCheckStatus('HTTP')).toEqual({ type: 'HTTP', http: {} })
  })
})

describe('timing and probes from the messages', () => {
  test("mesos.proto's defaults; a zero timeout is no timeout", () => {
    expect(healthTiming({ type: 'TCP', tcp: { port: 1 } })).toEqual({ delayMs: 15_000, intervalMs: 10_000, timeoutMs: 20_000 })
    expect(checkTiming({ type: 'TCP', tcp: { port: 1 }, delay_seconds: 0, interval_seconds: 0.5, timeout_seconds: 0 })).toEqual({ delayMs: 0, intervalMs: 500, timeoutMs: Infinity })
  })

  test('HTTP health checks keep scheme and protocol; checks are plain http over IPv4', () => {
    expect(healthProbe({ type: 'HTTP', http: { port: 80, scheme: 'https', protocol: 'IPv6' } })).toEqual({ type: 'HTTP', port: 80, path: '', scheme: 'https', ipv6: true })
    expect(checkProbe({ type: 'HTTP', http: { port: 80, path: '/x' } })).toEqual({ type: 'HTTP', port: 80, path: '/x', scheme: 'http', ipv6: false })
    expect(checkProbe({ type: 'COMMAND', command: { command: { value: 'true' } } })).toEqual({ type: 'COMMAND', command: { value: 'true' } })
  })
})

/** Timers run only when the test advances time. */
class FakeClock implements Clock {
  t = 0
  private seq = 0
  private timers = new Map<number, { at: number; fn: () => void }>()
  now() { return this.t }
  setTimeout(fn: () => void, ms: number) { const id = ++this.seq; this.timers.set(id, { at: this.t + ms, fn }); return id }
  clearTimeout(h: unknown) { this.timers.delete(h as number) }
  get pending() { return this.timers.size }
  private async settle() { for (let i = 0; i < 10; i++) await Promise.resolve() }
  async advance(ms: number) {
    const end = this.t + ms
    await this.settle()
    for (;;) {
      const due = [...this.timers.entries()].filter(([, x]) => x.at <= end).sort((a, b) => a[1].at - b[1].at)[0]
      if (!due) break
      this.timers.delete(due[0])
      this.t = due[1].at
      due[1].fn()
      await this.settle()
    }
    this.t = end
  }
}

describe('ProbeLoop', () => {
  test('first probe after the delay, the next an interval after the previous one finished', async () => {
    const clock = new FakeClock()
    const starts: number[] = []
    const outcomes: ProbeOutcome[] = []
    let finish!: (o: ProbeOutcome) => void
    const loop = new ProbeLoop({ delayMs: 1000, intervalMs: 500, timeoutMs: Infinity }, () => { starts.push(clock.now()); return new Promise(r => { finish = r }) }, o => outcomes.push(o), 'COMMAND check', clock)
    loop.start()
    await clock.advance(999)
    expect(starts).toEqual([])
    await clock.advance(1)
    expect(starts).toEqual([1000])
    await clock.advance(2000) // the probe is still running: nothing new starts
    expect(starts).toEqual([1000])
    finish(ok)
    await clock.advance(0)
    expect(outcomes).toEqual([ok])
    await clock.advance(499)
    expect(starts).toEqual([1000])
    await clock.advance(1)
    expect(starts).toEqual([1000, 3500])
    loop.stop()
    finish(bad)
    await clock.advance(10_000)
    expect(outcomes).toEqual([ok]) // a result after stop is dropped
    expect(clock.pending).toBe(0)
  })

  test('a probe past its timeout is aborted and reported as an error', async () => {
    const clock = new FakeClock()
    const outcomes: ProbeOutcome[] = []
    let aborted = false
    const loop = new ProbeLoop({ delayMs: 0, intervalMs: 100, timeoutMs: 2000 }, signal => new Promise(r => {
      signal.addEventListener('abort', () => { aborted = true; r({ kind: 'transient' }) })
    }), o => outcomes.push(o), 'HTTP health check', clock)
    loop.start()
    await clock.advance(2000)
    expect(aborted).toBe(true)
    expect(outcomes).toEqual([{ kind: 'error', message: 'HTTP health check timed out after 2secs' }])
    loop.stop()
  })

  test('a probe that throws is an error', async () => {
    const clock = new FakeClock()
    const outcomes: ProbeOutcome[] = []
    const loop = new ProbeLoop({ delayMs: 0, intervalMs: 100, timeoutMs: 1000 }, async () => { throw new Error('container abc is not running') }, o => outcomes.push(o), 'COMMAND check', clock)
    loop.start()
    await clock.advance(0)
    expect(outcomes).toEqual([{ kind: 'error', message: 'COMMAND check failed: container abc is not running' }])
    loop.stop()
  })
})

describe('validation (upstream messages)', () => {
  test('health checks', () => {
    expect(healthCheckError({})).toBe("HealthCheck must specify 'type'")
    expect(healthCheckError({ type: 'UNKNOWN' })).toBe("'UNKNOWN' is not a valid health check type")
    expect(healthCheckError({ type: 'COMMAND' })).toBe("Expecting 'command' to be set for COMMAND health check")
    expect(healthCheckError({ type: 'COMMAND', command: {} })).toBe("Command health check must contain 'shell command'")
    expect(healthCheckError({ type: 'COMMAND', command: { shell: false } })).toBe("Command health check must contain 'executable path'")
    expect(healthCheckError({ type: 'COMMAND', command: { value: 'true', environment: { variables: [{ name: 'A' }] } } }))
      .toBe("Health check's `CommandInfo` is invalid: Environment variable 'A' of type 'VALUE' must have a value set")
    expect(healthCheckError({ type: 'HTTP' })).toBe("Expecting 'http' to be set for HTTP health check")
    expect(healthCheckError({ type: 'HTTP', http: { port: 80, scheme: 'ftp' } })).toBe("Unsupported HTTP health check scheme: 'ftp'")
    expect(healthCheckError({ type: 'HTTP', http: { port: 80, path: 'health' } })).toBe("The path 'health' of HTTP health check must start with '/'")
    expect(healthCheckError({ type: 'HTTP', http: {} })).toBe("Expecting 'http.port' to be a port number (1-65535), got nothing")
    expect(healthCheckError({ type: 'TCP' })).toBe("Expecting 'tcp' to be set for TCP health check")
    expect(healthCheckError({ type: 'TCP', tcp: { port: 70000 } })).toBe("Expecting 'tcp.port' to be a port number (1-65535), got 70000")
    expect(healthCheckError({ type: 'TCP', tcp: { port: 1 }, delay_seconds: -1 })).toBe("Expecting 'delay_seconds' to be non-negative")
    expect(healthCheckError({ type: 'TCP', tcp: { port: 1 }, grace_period_seconds: -1 })).toBe("Expecting 'grace_period_seconds' to be non-negative")
    expect(healthCheckError({ type: 'TCP', tcp: { port: 1 }, interval_seconds: -1 })).toBe("Expecting 'interval_seconds' to be non-negative")
    expect(healthCheckError({ type: 'TCP', tcp: { port: 1 }, timeout_seconds: -1 })).toBe("Expecting 'timeout_seconds' to be non-negative")
    expect(healthCheckError({ type: 'TCP', tcp: { port: 1 }, consecutive_failures: 1.5 })).toBe("Expecting 'consecutive_failures' to be a whole number, got 1.5")
    expect(healthCheckError({ type: 'HTTP', http: { port: 8080, path: '/', scheme: 'https' }, consecutive_failures: 3, grace_period_seconds: 0 })).toBeUndefined()
  })

  test('checks', () => {
    expect(checkInfoError({})).toBe("CheckInfo must specify 'type'")
    expect(checkInfoError({ type: 'BOGUS' })).toBe("'BOGUS' is not a valid check type")
    expect(checkInfoError({ type: 'COMMAND' })).toBe("Expecting 'command' to be set for COMMAND check")
    expect(checkInfoError({ type: 'COMMAND', command: { command: { shell: true } } })).toBe("Command check must contain 'shell command'")
    expect(checkInfoError({ type: 'HTTP' })).toBe("Expecting 'http' to be set for HTTP check")
    expect(checkInfoError({ type: 'HTTP', http: { port: 1, path: 'x' } })).toBe("The path 'x' of HTTP check must start with '/'")
    expect(checkInfoError({ type: 'TCP' })).toBe("Expecting 'tcp' to be set for TCP check")
    expect(checkInfoError({ type: 'TCP', tcp: { port: 1 }, interval_seconds: -2 })).toBe("Expecting 'interval_seconds' to be non-negative")
    expect(checkInfoError({ type: 'COMMAND', command: { command: { value: 'x', environment: { variables: [{ name: 'S', type: 'SECRET', secret: { type: 'REFERENCE' } }] } } } }))
      .toContain("Check's `CommandInfo` is invalid: Environment variable 'S' of type 'SECRET' is not supported")
    expect(checkInfoError({ type: 'TCP', tcp: { port: 5432 } })).toBeUndefined()
  })

  test("the master's task-level wording, check first", () => {
    expect(taskChecksError({ check: { type: 'TCP' }, health_check: {} })).toBe("Task uses invalid check: Expecting 'tcp' to be set for TCP check")
    expect(taskChecksError({ health_check: { type: 'TCP' } })).toBe("Task uses invalid health check: Expecting 'tcp' to be set for TCP health check")
    expect(taskChecksError({})).toBeUndefined()
    expect(groupTaskChecksError({ health_check: { type: 'TCP', tcp: { port: 1 } }, container: { network_infos: [{ name: 'n' }] } }))
      .toBe("HTTP and TCP health checks are not supported for nested containers not joining parent's network")
    expect(groupTaskChecksError({ health_check: { type: 'COMMAND' }, container: { network_infos: [{ name: 'n' }] } })).toBeUndefined()
  })
})

describe("meso task run's podman health flags", () => {
  test('map onto a COMMAND health check: the first check one interval after the start, the start period as grace', async () => {
    const { healthCheckFromFlags } = await import('../../src/cli/handlers/task-run.ts')
    expect(healthCheckFromFlags({})).toBeUndefined()
    expect(healthCheckFromFlags({ 'health-cmd': 'test -f ready', 'health-interval': '5s', 'health-retries': 2, 'health-timeout': '500ms', 'health-start-period': '1m' })).toEqual({
      type: 'COMMAND', command: { shell: true, value: 'test -f ready' },
      delay_seconds: 5, interval_seconds: 5, timeout_seconds: 0.5, grace_period_seconds: 60, consecutive_failures: 2,
    })
    // podman's defaults
    expect(healthCheckFromFlags({ 'health-cmd': 'true' })).toMatchObject({ delay_seconds: 30, interval_seconds: 30, timeout_seconds: 30, grace_period_seconds: 0, consecutive_failures: 3 })
  })

  test('refuse what makes no sense, naming the flag', async () => {
    const { healthCheckFromFlags } = await import('../../src/cli/handlers/task-run.ts')
    expect(() => healthCheckFromFlags({ 'health-retries': 3 })).toThrow('--health-retries needs --health-cmd')
    expect(() => healthCheckFromFlags({ 'health-cmd': ' ' })).toThrow('--health-cmd needs a command')
    expect(() => healthCheckFromFlags({ 'health-cmd': 'true', 'health-interval': '0s' })).toThrow("--health-interval must be more than 0s, got '0s'")
    expect(() => healthCheckFromFlags({ 'health-cmd': 'true', 'health-timeout': 'soon' })).toThrow('--health-timeout: invalid duration')
    expect(() => healthCheckFromFlags({ 'health-cmd': 'true', 'health-retries': 0 })).toThrow('--health-retries must be a whole number of at least 1, got 0')
  })
})
