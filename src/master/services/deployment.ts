// Marathon's deployments (DeploymentPlan, DeploymentStepInfo): a change of apps becomes a plan of steps, each of
// actions on one app (StopApplication, StartApplication, then ScaleApplication / RestartApplication), and is in
// progress until every action's app reached its target (rollout.ts says when). A plan keeps each affected app's
// original definition, which a rollback (DELETE /v2/deployments/{id}) deploys again. Pure.

import { sameConfig, type AppDefinition } from './app-definition.ts'

export type ActionName = 'StartApplication' | 'ScaleApplication' | 'RestartApplication' | 'StopApplication'
export interface Action { action: ActionName; app: string }

export interface Deployment {
  id: string
  version: string
  steps: { actions: Action[] }[]
  /** Each affected app's definition before and after (null: it did not exist / is removed). */
  original: Record<string, AppDefinition | null>
  target: Record<string, AppDefinition | null>
}

/** The plan from `original` to `target` (apps by id); undefined when nothing changes. */
export function planDeployment(id: string, version: string, original: Record<string, AppDefinition | null>, target: Record<string, AppDefinition | null>): Deployment | undefined {
  const stops: Action[] = []
  const starts: Action[] = []
  const rest: Action[] = []
  const ids = [...new Set([...Object.keys(original), ...Object.keys(target)])].sort()
  for (const app of ids) {
    const before = original[app] ?? null
    const after = target[app] ?? null
    if (before && !after) stops.push({ action: 'StopApplication', app })
    else if (!before && after) {
      starts.push({ action: 'StartApplication', app })
      if (after.instances > 0) rest.push({ action: 'ScaleApplication', app })
    } else if (before && after) {
      // A new config version (a change of anything but instances, or a restart) replaces the tasks.
      if (before.versionInfo.lastConfigChangeAt !== after.versionInfo.lastConfigChangeAt || !sameConfig(before, after)) rest.push({ action: 'RestartApplication', app })
      else if (before.instances !== after.instances) rest.push({ action: 'ScaleApplication', app })
    }
  }
  const steps = [stops, starts, rest].filter(a => a.length).map(actions => ({ actions }))
  if (!steps.length) return undefined
  const affected = new Set(steps.flatMap(s => s.actions.map(a => a.app)))
  const pick = (m: Record<string, AppDefinition | null>) => Object.fromEntries([...affected].map(a => [a, m[a] ?? null]))
  return { id, version, steps, original: pick(original), target: pick(target) }
}

export const affectedApps = (d: Deployment) => [...new Set(d.steps.flatMap(s => s.actions.map(a => a.app)))].sort()

/** The 1-based step in progress, given which actions are complete (the last step once all are). */
export function currentStepIndex(d: Deployment, complete: (a: Action) => boolean): number {
  const i = d.steps.findIndex(s => !s.actions.every(complete))
  return i < 0 ? d.steps.length : i + 1
}

/** The rollback of `d`: its original definitions deployed again (created apps removed, removed apps restored). */
export function rollbackOf(d: Deployment, current: Record<string, AppDefinition | null>, id: string, version: string): Deployment | undefined {
  const target: Record<string, AppDefinition | null> = {}
  for (const [app, def] of Object.entries(d.original)) target[app] = def ? { ...def, version, versionInfo: { lastScalingAt: version, lastConfigChangeAt: def.versionInfo.lastConfigChangeAt } } : null
  return planDeployment(id, version, current, target)
}
