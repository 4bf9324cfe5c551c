// What an app needs now to reach its definition: how many tasks to launch and which to kill. Level-based (the
// answer depends only on the definition and the tasks, so it resumes unchanged after a failover), with Marathon's
// semantics:
// - No task of an older config: keep `instances` tasks (launch the missing, kill the surplus by killSelection,
//   tasks not yet running first).
// - A rolling restart (TaskReplaceActor): minHealthy = ceil(instances × minimumHealthCapacity) tasks must stay
//   healthy (and ready); at most maxCapacity = floor(instances × (1 + maximumOverCapacity)) exist at once (one more
//   when both are equal and the old tasks fill it, or nothing could move). Old tasks are killed only while enough
//   healthy ones remain, so a new version that never becomes healthy leaves the healthy old ones running.
// - Unreachable tasks (unreachableStrategy): after inactiveAfterSeconds they no longer count and are replaced;
//   after expungeAfterSeconds they are forgotten (and killed should their agent come back). "disabled" keeps
//   waiting for them.
// Pure.

import { isResident, type AppDefinition, type KillSelection } from './app-definition.ts'
import { isHealthyAndReady, isRunning, TERMINAL_STATES, type Instance } from './instance.ts'

export interface RolloutDecision {
  launch: number
  kill: Instance[]
  /** Unreachable past expungeAfterSeconds: forget them (and kill them, in case they come back). */
  expunge: Instance[]
  /** The definition is reached: `instances` tasks of the current config, all healthy and ready. */
  done: boolean
  /** What the app is waiting for when it cannot move (a deployment's reason). */
  waiting?: string
}

/** Instances of `list` to kill first: not running before running, then by killSelection. */
export function pickToKill(list: readonly Instance[], count: number, selection: KillSelection): Instance[] {
  if (count <= 0) return []
  const sorted = [...list].sort((a, b) => {
    const ra = isRunning(a) ? 1 : 0
    const rb = isRunning(b) ? 1 : 0
    if (ra !== rb) return ra - rb
    const byAge = a.stagedAt < b.stagedAt ? -1 : a.stagedAt > b.stagedAt ? 1 : 0
    return selection === 'YOUNGEST_FIRST' ? -byAge : byAge
  })
  return sorted.slice(0, count)
}

export function unreachableStatus(i: Instance, app: AppDefinition, now: number): 'reachable' | 'waiting' | 'inactive' | 'expunge' {
  if (i.state !== 'TASK_UNREACHABLE' || i.unreachableSince === undefined) return 'reachable'
  const s = app.unreachableStrategy
  if (s === 'disabled') return 'waiting'
  const gone = now - i.unreachableSince
  if (gone >= s.expungeAfterSeconds * 1000) return 'expunge'
  if (gone >= s.inactiveAfterSeconds * 1000) return 'inactive'
  return 'waiting'
}

export function decideRollout(app: AppDefinition, instances: readonly Instance[], now: number): RolloutDecision {
  const n = app.instances
  const hc = app.healthChecks.length > 0
  const rc = app.readinessChecks.length > 0
  const ok = (i: Instance) => isHealthyAndReady(i, hc, rc)
  const expunge: Instance[] = []
  const active: Instance[] = []
  for (const i of instances) {
    if (TERMINAL_STATES.has(i.state) || i.killRequested) continue
    const u = unreachableStatus(i, app, now)
    if (u === 'expunge') expunge.push(i)
    else if (u !== 'inactive') active.push(i)
  }
  const cfg = app.versionInfo.lastConfigChangeAt
  const current = active.filter(i => i.configVersion === cfg)
  const old = active.filter(i => i.configVersion !== cfg)
  const describe = (list: Instance[]) => `${list.filter(isRunning).length} running${hc ? `, ${list.filter(i => isRunning(i) && i.healthy === true).length} healthy` : ''}${rc ? `, ${list.filter(i => i.ready === true).length} ready` : ''}`

  if (!old.length) {
    const surplus = pickToKill(current, current.length - n, app.killSelection)
    const launch = Math.max(0, n - current.length)
    const kept = current.filter(i => !surplus.includes(i))
    const healthy = kept.filter(ok).length
    const done = kept.length === n && healthy === n
    const waiting = done ? undefined
      : launch > 0 ? `waiting for ${launch} more task(s) to launch (${describe(kept)} of ${n})`
      : `waiting for ${n - healthy} task(s) to become ${hc || rc ? 'healthy' + (rc ? ' and ready' : '') : 'running'} (${describe(kept)} of ${n})`
    return { launch, kill: surplus, expunge, done, ...(waiting ? { waiting } : {}) }
  }

  const minHealthy = Math.ceil(n * app.upgradeStrategy.minimumHealthCapacity - 1e-9)
  let maxCapacity = Math.floor(n * (1 + app.upgradeStrategy.maximumOverCapacity) + 1e-9)
  // With no room above `instances`, a task must go before another can start: a resident app (whose new tasks take
  // over the old ones' reservations) kills one more old task than minHealthy allows, any other app may exceed
  // maxCapacity by one (Marathon's TaskReplaceActor).
  let killOneMore = false
  if (minHealthy === maxCapacity && maxCapacity <= old.length) {
    if (isResident(app)) killOneMore = true
    else maxCapacity += 1
  }
  const kill: Instance[] = []
  // New tasks beyond `instances` (a scale-down during the restart).
  kill.push(...pickToKill(current, current.length - n, app.killSelection))
  const newOk = current.filter(i => ok(i) && !kill.includes(i)).length
  if (newOk >= n) kill.push(...old)
  else {
    // Old tasks that are not healthy hold no capacity: replacing them costs nothing.
    const oldNotOk = old.filter(i => !ok(i))
    kill.push(...oldNotOk)
    const healthy = active.filter(i => ok(i) && !kill.includes(i)).length
    kill.push(...pickToKill(old.filter(i => ok(i) && !kill.includes(i)), healthy - minHealthy + (killOneMore ? 1 : 0), app.killSelection))
  }
  const remaining = active.length - kill.length
  const currentLeft = current.filter(i => !kill.includes(i)).length
  const launch = Math.max(0, Math.min(n - currentLeft, maxCapacity - remaining))
  const oldLeft = old.filter(i => !kill.includes(i)).length
  const waiting = oldLeft > 0
    ? `waiting for new tasks to become ${hc || rc ? 'healthy' + (rc ? ' and ready' : '') : 'running'} before killing ${oldLeft} old task(s) (new: ${describe(current)} of ${n}${launch ? `, ${launch} to launch` : ''}; minimumHealthCapacity ${app.upgradeStrategy.minimumHealthCapacity} keeps ${minHealthy} healthy)`
    : `waiting for ${n - newOk} new task(s) to become ${hc || rc ? 'healthy' : 'running'} (${describe(current)} of ${n})`
  return { launch, kill, expunge, done: false, waiting }
}
