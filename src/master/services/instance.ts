// One task of an app as the services scheduler keeps it (Marathon's Instance with its one task): where it runs,
// what it was launched from, what Mesos last said about it, its health and readiness. Pure.

import type { Placement } from './constraints.ts'
import type { LocalVolume } from './resident.ts'

export type TaskState = 'TASK_STAGING' | 'TASK_STARTING' | 'TASK_RUNNING' | 'TASK_KILLING' | 'TASK_UNREACHABLE' | string

export interface Instance {
  taskId: string
  appId: string
  /** The app version it was launched from, and that version's lastConfigChangeAt (what a restart compares). */
  version: string
  configVersion: string
  agentId: string
  host: string
  placement: Placement
  hostPorts: number[]
  servicePorts: number[]
  state: TaskState
  stagedAt: string
  startedAt?: string
  /** The last `healthy` Mesos reported; undefined before the first health check result. */
  healthy?: boolean
  healthFirstSuccess?: string
  healthLastSuccess?: string
  healthLastFailure?: string
  healthConsecutiveFailures: number
  /** The readiness check's last verdict (TaskStatus.check_status.http.status_code in httpStatusCodesForReady). */
  ready?: boolean
  readyLastStatus?: number
  /** When it became unreachable (ms since the epoch). */
  unreachableSince?: number
  /** The scheduler asked Mesos to kill it (a deliberate kill: no backoff, no replacement). */
  killRequested?: boolean
  ipAddresses: { ipAddress: string; protocol: 'IPv4' | 'IPv6' }[]
  /** A resident app's task: the reservation it runs on (resident.ts) and its volumes as Marathon's Task shows them. */
  reservationId?: string
  localVolumes?: LocalVolume[]
}

export const TERMINAL_STATES = new Set(['TASK_FINISHED', 'TASK_FAILED', 'TASK_KILLED', 'TASK_ERROR', 'TASK_LOST', 'TASK_DROPPED', 'TASK_GONE', 'TASK_GONE_BY_OPERATOR', 'TASK_UNKNOWN'])

export const isRunning = (i: Instance) => i.state === 'TASK_RUNNING'

/** Running, healthy when it has a health check, ready when it has a readiness check. */
export function isHealthyAndReady(i: Instance, hasHealthCheck: boolean, hasReadinessCheck: boolean): boolean {
  return isRunning(i) && (!hasHealthCheck || i.healthy === true) && (!hasReadinessCheck || i.ready === true)
}
