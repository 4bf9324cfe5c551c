// What the overview warns about. Pure: the cluster state and the time in, a list of alerts out.

import type { ClusterState } from './cluster-state.ts'

export interface Alert { level: 'warning' | 'error'; text: string; link?: string }

/** A task still staging after this long is probably stuck (an image pull, an agent that does not answer). */
export const STUCK_STAGING_SECONDS = 120

export function alertsOf(state: ClusterState, nowMs = Date.now()): Alert[] {
  const alerts: Alert[] = []
  for (const g of state.goneAgents.values()) {
    alerts.push({
      level: 'error',
      text: g.why === 'removed' ? `agent ${g.hostname} (${g.id}) was removed from the cluster` : `agent ${g.hostname} (${g.id}) has not re-registered since the master recovered`,
    })
  }
  for (const [id, a] of state.agents) {
    const drain = a.drain_info?.state
    if (drain) alerts.push({ level: 'warning', text: `agent ${a.agent_info.hostname} is ${drain.toLowerCase()}`, link: `#/agents/${id}` })
    else if (a.deactivated) alerts.push({ level: 'warning', text: `agent ${a.agent_info.hostname} is deactivated (no offers)`, link: `#/agents/${id}` })
  }
  // Disconnected frameworks are not alerts: every `meso task run --detach` leaves one (the frameworks page shows them).
  let stuck = 0
  let example = ''
  for (const [key, t] of state.tasks) {
    if (t.state !== 'TASK_STAGING') continue
    const since = t.statuses?.[0]?.timestamp
    if (since !== undefined && nowMs / 1000 - since > STUCK_STAGING_SECONDS) { stuck++; example ||= key }
  }
  if (stuck) alerts.push({ level: 'warning', text: `${stuck} task${stuck > 1 ? 's' : ''} staging for more than ${STUCK_STAGING_SECONDS / 60} minutes`, link: `#/tasks/${example}` })
  return alerts
}
