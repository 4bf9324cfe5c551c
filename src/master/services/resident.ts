// Resident apps (apps with persistent volumes), as Marathon runs them: each instance gets a dynamic reservation of
// all its resources (cpus, mem, gpus, disk for the sandbox and the volumes, ports) for the app's role, labelled with
// the framework id and the instance's reservation id (Marathon's `marathon_framework_id` / `marathon_task_id`
// reservation labels, TaskLabels.scala), and its volumes are created in that reservation: RESERVE, CREATE and LAUNCH
// in one ACCEPT (Marathon's InstanceOpFactoryImpl "reserve and create"). When its task ends, the instance is
// relaunched only from an offer that holds its labelled resources, so on the same agent with the same volumes.
// Reserved resources labelled with this framework's id whose reservation the state does not know (any more), or
// which are being wiped (app deleted, task wiped), are destroyed and unreserved when offered (Marathon's
// OfferMatcherReconciler). Pure.

import { reservationRole, type Resource } from '../../core/resources.ts'
import { persistentVolumes, type AppDefinition } from './app-definition.ts'
import type { Placement } from './constraints.ts'
import { safeAppId } from './path-id.ts'

export const FRAMEWORK_ID_LABEL = 'marathon_framework_id'
export const TASK_ID_LABEL = 'marathon_task_id'

/** Marathon's LocalVolumeId as its Task JSON shows it (`localVolumes`). */
export interface LocalVolume { runSpecId: string; containerPath: string; uuid: string; persistenceId: string }

/** One instance's reservation (Marathon's Reservation with its volume ids), kept while the instance exists. */
export interface Reservation {
  /** The `marathon_task_id` label: `<app id, "/" as "_">.marathon-<uuid>` (Marathon's SimplifiedId). */
  id: string
  appId: string
  agentId: string
  host: string
  placement: Placement
  role: string
  principal?: string
  /** What was reserved, volumes included (post-refinement form, without allocation info). */
  resources: Resource[]
  volumes: (LocalVolume & { size: number })[]
  /** The host ports reserved: a relaunched task gets the same ones. */
  hostPorts: number[]
  createdAt: string
  /**
   * The master made it: a task ran on it, or an offer held it. Until then, a task on it that never started (the
   * ACCEPT's operations refused) means there is no such reservation: the record goes (Marathon's reservation
   * timeout), and anything the master did reserve comes back unknown and is destroyed.
   */
  confirmed?: boolean
  /** Its app was deleted or its task wiped: destroyed and unreserved when its resources are next offered. */
  wipe?: boolean
}

/** mesos.v1.Offer.Operation as JSON. */
export type OfferOperation = Record<string, unknown>

export const reservationIdFor = (appId: string, uuid: string) => `${safeAppId(appId)}.marathon-${uuid}`

/** Marathon's LocalVolumeId.idString: `<app id, "/" as "_">#<containerPath>#<uuid>` (a valid directory name). */
export const persistenceIdFor = (appId: string, containerPath: string, uuid: string) => `${safeAppId(appId)}#${containerPath}#${uuid}`

/** A reservation's labels, from either resource format (post-refinement `reservations`, or `reservation`). */
export function reservationLabelsOf(r: Resource): Record<string, string> {
  const top = r.reservations?.length ? r.reservations[r.reservations.length - 1] : r.reservation
  const out: Record<string, string> = {}
  for (const l of top?.labels?.labels ?? []) out[l.key] = l.value ?? ''
  return out
}

/** Whether a resource is reserved for one resident instance (of this framework or another Marathon-like one). */
export function isInstanceReserved(r: Resource): boolean {
  // Asked of every resource of every offer: no copy of the labels.
  const top = r.reservations?.length ? r.reservations[r.reservations.length - 1] : r.reservation
  return top?.labels?.labels?.some(l => l.key === TASK_ID_LABEL) ?? false
}

const isVolume = (r: Resource) => Boolean((r.disk as { persistence?: unknown } | undefined)?.persistence)
const volumeIdOf = (r: Resource) => ((r.disk as { persistence?: { id?: string } } | undefined)?.persistence?.id)

/** An offer's resources reserved by this framework for instances, by reservation id. */
export function offeredReservations(resources: readonly Resource[], frameworkId: string): Map<string, Resource[]> {
  const out = new Map<string, Resource[]>()
  for (const r of resources) {
    const labels = reservationLabelsOf(r)
    const id = labels[TASK_ID_LABEL]
    if (id === undefined || labels[FRAMEWORK_ID_LABEL] !== frameworkId) continue
    let list = out.get(id)
    if (!list) out.set(id, list = [])
    list.push(r)
  }
  return out
}

function scalarSum(list: readonly Resource[], name: string): number {
  let total = 0
  for (const r of list) if (r.name === name && r.type === 'SCALAR' && !isVolume(r)) total += r.scalar?.value ?? 0
  return total
}

/**
 * The resources to relaunch an instance's task with, from what an offer holds of its reservation: all of them
 * (they are the instance's), provided they hold the app's resources, its reserved host ports and every volume.
 * Otherwise why not (a reservation partly offered, as while another offer holds the rest).
 */
export function relaunchResources(offered: readonly Resource[], reservation: Reservation, app: AppDefinition): { resources: Resource[] } | { missing: string } {
  for (const [name, need] of [['cpus', app.cpus], ['mem', app.mem], ['disk', app.disk], ['gpus', app.gpus]] as [string, number][]) {
    if (need > 0 && scalarSum(offered, name) + 1e-9 < need) return { missing: `${name} ${need}` }
  }
  for (const port of reservation.hostPorts) {
    if (!offered.some(r => r.name === 'ports' && (r.ranges?.range ?? []).some(x => x.begin <= port && port <= x.end))) return { missing: `port ${port}` }
  }
  for (const v of reservation.volumes) if (!offered.some(r => volumeIdOf(r) === v.persistenceId)) return { missing: `volume ${v.persistenceId}` }
  return { resources: offered.map(r => ({ ...r })) }
}

export interface NewReservation {
  /** RESERVE then CREATE: to go before the LAUNCH of the task in the same ACCEPT. */
  operations: OfferOperation[]
  /** The task's resources: the reserved ones less the volumes' disk, plus the volumes. */
  taskResources: Resource[]
  reservation: Reservation
}

/**
 * The operations that reserve `taken` (unreserved resources taken from an offer for one task of `app`, the disk
 * including the volumes' sizes) for the app's role with the instance's labels, and create the app's volumes in it.
 */
export function reserveAndCreate(app: AppDefinition, taken: readonly Resource[], ctx: {
  frameworkId: string; reservationId: string; uuid: () => string; principal?: string
  agentId: string; host: string; placement: Placement; hostPorts: number[]; now: string
}): NewReservation {
  const labels = { labels: [{ key: FRAMEWORK_ID_LABEL, value: ctx.frameworkId }, { key: TASK_ID_LABEL, value: ctx.reservationId }] }
  const reservations = [{ type: 'DYNAMIC' as const, role: app.role, ...(ctx.principal ? { principal: ctx.principal } : {}), labels }]
  const reserve = taken.map(r => {
    const { role: _r, reservation: _res, reservations: _rs, ...rest } = r
    return { ...rest, reservations }
  })
  const allocation = reserve[0]?.allocation_info
  const volumes = persistentVolumes(app).map(v => {
    const uuid = ctx.uuid()
    const persistenceId = persistenceIdFor(app.id, v.containerPath, uuid)
    const resource: Resource = {
      name: 'disk', type: 'SCALAR', scalar: { value: v.persistent.size }, ...(allocation ? { allocation_info: allocation } : {}), reservations,
      disk: { persistence: { id: persistenceId, ...(ctx.principal ? { principal: ctx.principal } : {}) }, volume: { container_path: v.containerPath, mode: v.mode } },
    }
    return { resource, local: { runSpecId: app.id, containerPath: v.containerPath, uuid, persistenceId, size: v.persistent.size } }
  })
  // The task's own disk is what is left of the reserved disk once the volumes are made of it.
  let volumeDisk = volumes.reduce((s, v) => s + v.local.size, 0)
  const taskResources: Resource[] = []
  for (const r of reserve) {
    if (r.name !== 'disk' || volumeDisk <= 1e-9) { taskResources.push(r); continue }
    const used = Math.min(volumeDisk, r.scalar?.value ?? 0)
    volumeDisk -= used
    const left = Math.round(((r.scalar?.value ?? 0) - used) * 1000) / 1000
    if (left > 1e-9) taskResources.push({ ...r, scalar: { value: left } })
  }
  taskResources.push(...volumes.map(v => v.resource))
  const operations: OfferOperation[] = [{ type: 'RESERVE', reserve: { resources: reserve } }]
  if (volumes.length) operations.push({ type: 'CREATE', create: { volumes: volumes.map(v => v.resource) } })
  const stored = reserve.map(({ allocation_info: _a, ...r }) => r)
  return {
    operations, taskResources,
    reservation: {
      id: ctx.reservationId, appId: app.id, agentId: ctx.agentId, host: ctx.host, placement: ctx.placement, role: app.role,
      ...(ctx.principal ? { principal: ctx.principal } : {}), resources: stored, volumes: volumes.map(v => v.local), hostPorts: ctx.hostPorts, createdAt: ctx.now,
    },
  }
}

/** DESTROY the volumes among `offered` (one reservation's resources), then UNRESERVE all of it. */
export function destroyAndUnreserve(offered: readonly Resource[]): OfferOperation[] {
  const volumes = offered.filter(isVolume)
  // A destroyed volume is the reserved disk it was made of: that is what is unreserved.
  const unreserve = offered.map(r => {
    if (!isVolume(r)) return r
    const { disk: _d, ...rest } = r
    return rest
  }).filter(r => reservationRole(r) !== '*')
  const ops: OfferOperation[] = []
  if (volumes.length) ops.push({ type: 'DESTROY', destroy: { volumes } })
  if (unreserve.length) ops.push({ type: 'UNRESERVE', unreserve: { resources: unreserve } })
  return ops
}
