// Resident apps (persistent volumes): Marathon's validation and defaults, the operations built for an instance
// (RESERVE + CREATE + LAUNCH, labelled with the framework and reservation ids), offers matched to an instance's
// reservation by its labels (relaunch on the same agent with the same volume, no second reservation), the
// rolling restart that kills before it launches, wipe and app deletion (DESTROY + UNRESERVE when offered), and the
// reservations recovered from the store after a master restart.

import { describe, expect, test } from 'bun:test'
import type { Resource } from '../../../src/core/resources.ts'
import type { Offer, TaskStatus } from '../../../src/core/v1/messages.ts'
import { parseApp } from '../../../src/master/services/app-definition.ts'
import { KvArea } from '../../../src/master/builtin-frameworks/store.ts'
import { ServiceEvents } from '../../../src/master/services/event-stream.ts'
import { destroyAndUnreserve, FRAMEWORK_ID_LABEL, offeredReservations, relaunchResources, reserveAndCreate, TASK_ID_LABEL } from '../../../src/master/services/resident.ts'
import { decideRollout } from '../../../src/master/services/rollout.ts'
import { ServiceManager, type OfferAnswer } from '../../../src/master/services/service-manager.ts'
import { taskJson } from '../../../src/master/services/services-views.ts'
import { ValidationError } from '../../../src/master/services/validation-issues.ts'

const NOW = '2026-01-01T00:00:00.000Z'
const FW = 'fw-1'
const volumes = [{ containerPath: 'data', mode: 'RW', persistent: { type: 'root', size: 100 } }]
const residentApp = (extra: Record<string, unknown> = {}) => ({ id: '/db', cmd: 'x', cpus: 0.5, mem: 64, disk: 10, role: 'db', container: { type: 'MESOS', volumes }, ...extra })

function issuesOf(raw: unknown, previous?: ReturnType<typeof parseApp>) {
  try { parseApp(raw, { now: NOW, ...(previous ? { previous } : {}) }); return [] } catch (err) {
    if (err instanceof ValidationError) return err.details.flatMap(i => i.errors.map(e => `${i.path}: ${e}`))
    throw err
  }
}

describe('validation', () => {
  test("a resident app gets Marathon's defaults: upgradeStrategy 0.5/0, unreachableStrategy disabled, residency", () => {
    const app = parseApp(residentApp(), { now: NOW })
    expect(app.upgradeStrategy).toEqual({ minimumHealthCapacity: 0.5, maximumOverCapacity: 0 })
    expect(app.unreachableStrategy).toBe('disabled')
    expect(app.residency).toEqual({ relaunchEscalationTimeoutSeconds: 3600, taskLostBehavior: 'WAIT_FOREVER' })
    expect(app.container!.volumes).toEqual([{ containerPath: 'data', mode: 'RW', persistent: { type: 'root', size: 100, constraints: [] } }])
    // The stored form is a valid input again (PUT merges over it).
    expect(issuesOf(app)).toEqual([])
    expect(parseApp({ id: '/x', cmd: 'x' }, { now: NOW }).residency).toBeUndefined()
  })

  test("what Marathon refuses, with its messages", () => {
    const vol = (v: Record<string, unknown>, p: Record<string, unknown> = {}) => residentApp({ container: { type: 'MESOS', volumes: [{ containerPath: 'data', mode: 'RW', ...v, persistent: { type: 'root', size: 100, ...p } }] } })
    expect(issuesOf(vol({ containerPath: 'var/data' }))).toEqual(['/container/volumes(0)/containerPath: value must not contain "/"'])
    expect(issuesOf(vol({ containerPath: '..' }))).toEqual(['/container/volumes(0)/containerPath: must not be one of (., ..)'])
    expect(issuesOf(vol({}, { size: 0 }))).toEqual(['/container/volumes(0)/persistent/size: got 0, expected more than 0'])
    expect(issuesOf(vol({}, { size: undefined }))).toEqual(['/container/volumes(0)/persistent/size: expected a whole number (MiB)'])
    expect(issuesOf(vol({ mode: 'RO' }))).toEqual(['/container/volumes(0)/mode: got RO, expected RW'])
    expect(issuesOf(vol({}, { type: 'mount' }))[0]).toContain('mount disks are not supported')
    expect(issuesOf(vol({}, { type: 'path' }))[0]).toContain('path disks are not supported')
    expect(issuesOf(vol({}, { maxSize: 200 }))).toEqual(['/container/volumes(0)/persistent: Only mount volumes can have maxSize'])
    expect(issuesOf(vol({}, { constraints: [['path', 'LIKE', 'x']] }))).toEqual(['/container/volumes(0)/persistent: Constraints on root volumes are not supported'])
    expect(issuesOf(residentApp({ upgradeStrategy: { minimumHealthCapacity: 0.5, maximumOverCapacity: 0.5 } }))).toEqual(['/upgradeStrategy/maximumOverCapacity: got 0.5, expected 0.0'])
    expect(issuesOf(residentApp({ role: '*' }))).toEqual(['/role: Resident apps cannot have the role *'])
    expect(issuesOf(residentApp({ unreachableStrategy: { inactiveAfterSeconds: 0, expungeAfterSeconds: 0 } }))).toEqual(['/: unreachableStrategy must be disabled for resident tasks'])
    expect(issuesOf(residentApp({ acceptedResourceRoles: ['db'] }))).toEqual(['/acceptedResourceRoles: A resident app must have `acceptedResourceRoles = ["*"]`.'])
    expect(issuesOf(residentApp({ residency: { taskLostBehavior: 'RELAUNCH_AFTER_TIMEOUT' } }))[0]).toContain('RELAUNCH_AFTER_TIMEOUT is not supported')
    expect(issuesOf({ id: '/x', cmd: 'x', residency: {} })).toEqual(['/residency: residency needs persistent volumes (container.volumes[].persistent)'])
  })

  test('a resident app may not change its volumes, resources or host ports (residentUpdateIsValid)', () => {
    const before = parseApp(residentApp(), { now: NOW })
    expect(issuesOf({ ...before, instances: 3 }, before)).toEqual([])
    expect(issuesOf({ ...before, cmd: 'y' }, before)).toEqual([])
    expect(issuesOf({ ...before, cpus: 1 }, before)).toEqual(['/cpus: Services with persistent volumes configured may not change resource requirements. If you need to make this change, please create a new service.'])
    expect(issuesOf({ ...before, container: { type: 'MESOS', volumes: [{ containerPath: 'data', mode: 'RW', persistent: { type: 'root', size: 200 } }] } }, before)).toEqual(['/: Persistent volumes can not be changed!'])
    expect(issuesOf({ ...before, container: undefined, residency: undefined, unreachableStrategy: undefined, upgradeStrategy: undefined }, before)).toEqual(['/: Persistent volumes can not be changed!'])
  })
})

const unreserved = (name: string, value: number, role = 'db'): Resource => ({ name, type: 'SCALAR', scalar: { value }, role: '*', allocation_info: { role } })
const portsRes = (begin: number, end: number, role = 'db'): Resource => ({ name: 'ports', type: 'RANGES', ranges: { range: [{ begin, end }] }, role: '*', allocation_info: { role } })

describe('the operations of one instance', () => {
  const app = parseApp(residentApp(), { now: NOW })
  let u = 0
  const made = reserveAndCreate(app, [unreserved('cpus', 0.5), unreserved('mem', 64), unreserved('disk', 110), portsRes(31000, 31000)], {
    frameworkId: FW, reservationId: 'db.marathon-r1', uuid: () => `v${++u}`, principal: 'meso-services', agentId: 'a1', host: 'h1', placement: { hostname: 'h1', attributes: {} } as any, hostPorts: [31000], now: NOW,
  })
  const labels = { labels: [{ key: FRAMEWORK_ID_LABEL, value: FW }, { key: TASK_ID_LABEL, value: 'db.marathon-r1' }] }
  const reservations = [{ type: 'DYNAMIC', role: 'db', principal: 'meso-services', labels }]

  test('RESERVE everything (disk with the volume) for the role with the labels, CREATE the volume in it', () => {
    expect(made.operations.map(o => o.type)).toEqual(['RESERVE', 'CREATE'])
    const reserve = (made.operations[0] as any).reserve.resources
    expect(reserve).toContainEqual({ name: 'disk', type: 'SCALAR', scalar: { value: 110 }, allocation_info: { role: 'db' }, reservations })
    expect(reserve).toContainEqual({ name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 31000, end: 31000 }] }, allocation_info: { role: 'db' }, reservations })
    expect(reserve.every((r: any) => r.role === undefined)).toBe(true)
    const volume = { name: 'disk', type: 'SCALAR', scalar: { value: 100 }, allocation_info: { role: 'db' }, reservations, disk: { persistence: { id: 'db#data#v1', principal: 'meso-services' }, volume: { container_path: 'data', mode: 'RW' } } }
    expect((made.operations[1] as any).create.volumes).toEqual([volume])
    // The task: the reserved cpus, mem, ports, the sandbox's 10 MB of disk, and the volume.
    expect(made.taskResources as unknown[]).toContainEqual({ name: 'disk', type: 'SCALAR', scalar: { value: 10 }, allocation_info: { role: 'db' }, reservations })
    expect(made.taskResources as unknown[]).toContainEqual(volume)
    expect(made.reservation).toMatchObject({ id: 'db.marathon-r1', appId: '/db', agentId: 'a1', role: 'db', hostPorts: [31000], volumes: [{ runSpecId: '/db', containerPath: 'data', uuid: 'v1', persistenceId: 'db#data#v1', size: 100 }] })
  })

  // As an offer shows them to a framework without RESERVATION_REFINEMENT (pre-refinement: role + reservation).
  const offeredForm = (r: Resource): Resource => { const { reservations: rs, ...rest } = r; return { ...rest, role: 'db', reservation: { principal: rs![0]!.principal!, labels: rs![0]!.labels! } } }
  const offered = [...made.taskResources.map(offeredForm), unreserved('cpus', 3), { ...offeredForm(made.taskResources[0]!), reservation: { labels: { labels: [{ key: FRAMEWORK_ID_LABEL, value: 'other' }, { key: TASK_ID_LABEL, value: 'x' }] } } }]

  test('offers are matched to the reservation by its labels, in either resource format', () => {
    const byId = offeredReservations(offered, FW)
    expect([...byId.keys()]).toEqual(['db.marathon-r1'])
    expect(byId.get('db.marathon-r1')).toHaveLength(made.taskResources.length)
    expect(offeredReservations(made.taskResources, FW).get('db.marathon-r1')).toHaveLength(made.taskResources.length)
    const relaunch = relaunchResources(byId.get('db.marathon-r1')!, made.reservation, app)
    expect('resources' in relaunch && relaunch.resources).toEqual(byId.get('db.marathon-r1')!)
    // Without the volume (or a reserved port) it is not the instance's whole reservation.
    const noVolume = byId.get('db.marathon-r1')!.filter(r => !r.disk)
    expect(relaunchResources(noVolume, made.reservation, app)).toEqual({ missing: 'volume db#data#v1' })
    expect(relaunchResources(noVolume.filter(r => r.name !== 'ports'), made.reservation, app)).toEqual({ missing: 'port 31000' })
  })

  test('cleanup: DESTROY the volume, then UNRESERVE all of it, the volume as the disk it was made of', () => {
    const group = offeredReservations(offered, FW).get('db.marathon-r1')!
    const ops = destroyAndUnreserve(group) as any[]
    expect(ops.map(o => o.type)).toEqual(['DESTROY', 'UNRESERVE'])
    expect(ops[0].destroy.volumes).toHaveLength(1)
    expect(ops[1].unreserve.resources).toHaveLength(group.length)
    expect(ops[1].unreserve.resources.every((r: any) => r.disk === undefined)).toBe(true)
  })
})

let clock = Date.parse('2026-01-01T00:00:00Z')
let n = 0
const uuid = () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`

function persistentStore() {
  const records: { namespace: string; key: string; value: string }[] = []
  const write = (ops: any[]) => { for (const op of ops) { const i = records.findIndex(r => r.namespace === op.namespace && r.key === op.key); if (i >= 0) records.splice(i, 1); if (op.op === 'putKv') records.push({ namespace: op.namespace, key: op.key, value: op.value }) } }
  return () => new KvArea(records, write)
}

function setup(kv = new KvArea([], () => {})) {
  const m = new ServiceManager(kv.namespace('services'), new ServiceEvents(), { now: () => clock, uuid, principal: 'meso-services' })
  const killed: string[] = []
  m.killer = { kill: t => { killed.push(t) } }
  return { m, killed }
}

const offer = (host: string, resources: Resource[]): Offer => ({
  id: { value: `o-${host}-${++n}` }, framework_id: { value: FW }, agent_id: { value: `agent-${host}` }, hostname: host, allocation_info: { role: 'db' }, resources,
} as Offer)
const fresh = (host: string) => offer(host, [unreserved('cpus', 4), unreserved('mem', 1024), unreserved('disk', 1000), portsRes(31000, 31009)])
const status = (taskId: string, state: string): TaskStatus => ({ task_id: { value: taskId }, state, agent_id: { value: 'x' } } as TaskStatus)
const answer = (m: ServiceManager, o: Offer): OfferAnswer => m.answerOffers([o], FW)[0]!
/** What the master offers back once a task on the reservation ended: the task's resources (pre-refinement). */
const reservedOffer = (host: string, launched: OfferAnswer) => offer(host, (launched.operations.find(o => o.type === 'LAUNCH') as any).launch.task_infos[0].resources.map((r: any) => {
  const { reservations: rs, ...rest } = r
  return rs ? { ...rest, role: 'db', reservation: { principal: rs[0].principal, labels: rs[0].labels } } : r
}))

describe('the scheduler', () => {
  test('reserve + create + launch in one ACCEPT, relaunch on the same reservation, wipe on delete', () => {
    const { m, killed } = setup()
    m.createApp(residentApp(), false)
    const first = answer(m, fresh('a'))
    expect(first.operations.map(o => o.type)).toEqual(['RESERVE', 'CREATE', 'LAUNCH'])
    const task = first.tasks[0]!
    expect((task.resources ?? []).some(r => (r.disk as any)?.persistence?.id?.startsWith('db#data#'))).toBe(true)
    const [reservation] = m.reservationsOf('/db')
    expect(reservation).toMatchObject({ agentId: 'agent-a', role: 'db', principal: 'meso-services' })
    const i = m.instances.get(task.task_id.value)!
    expect(i.reservationId).toBe(reservation!.id)
    expect(taskJson(i, m.getApp('/db')).localVolumes).toEqual([{ runSpecId: '/db', containerPath: 'data', uuid: expect.any(String), persistenceId: reservation!.volumes[0]!.persistenceId }])

    // The task ends: the instance waits for its own reservation; other offers make no second one.
    m.taskStatus(status(task.task_id.value, 'TASK_RUNNING'))
    m.taskStatus(status(task.task_id.value, 'TASK_FAILED'))
    clock += 600_000
    const elsewhere = answer(m, fresh('b'))
    expect(elsewhere.operations).toEqual([])
    expect(m.offerStats('/db')!.last.at(-1)!.reason).toEqual(['NoCorrespondingReservationFound'])
    const again = answer(m, reservedOffer('a', first))
    expect(again.operations.map(o => o.type)).toEqual(['LAUNCH'])
    expect(again.tasks[0]!.task_id.value).not.toBe(task.task_id.value)
    expect((again.tasks[0]!.resources ?? []).find(r => r.disk)).toMatchObject({ disk: { persistence: { id: reservation!.volumes[0]!.persistenceId } } })
    expect(m.reservationsOf('/db')).toHaveLength(1)
    expect(m.wantsOffers()).toBe(false)

    // Deleting the app kills the task; its reservation is destroyed and unreserved when offered again.
    m.deleteApp('/db', true)
    expect(killed).toEqual([again.tasks[0]!.task_id.value])
    expect(m.wantsOffers()).toBe(true)
    m.taskStatus(status(again.tasks[0]!.task_id.value, 'TASK_KILLED'))
    const cleanup = answer(m, reservedOffer('a', again))
    expect(cleanup.operations.map(o => o.type)).toEqual(['DESTROY', 'UNRESERVE'])
    expect(m.reservations.size).toBe(0)
    expect(m.wantsOffers()).toBe(false)
  })

  test('unknown reservations labelled with our framework id are destroyed; other frameworks\' are left alone', () => {
    const { m } = setup()
    m.createApp({ id: '/other', cmd: 'x', cpus: 0.1, mem: 16, instances: 0, role: 'db' }, false)
    const labelled = (fw: string) => ({ ...unreserved('cpus', 1), role: 'db', reservation: { labels: { labels: [{ key: FRAMEWORK_ID_LABEL, value: fw }, { key: TASK_ID_LABEL, value: 'gone.marathon-1' }] } } })
    expect(answer(m, offer('a', [labelled(FW)])).operations).toEqual([{ type: 'UNRESERVE', unreserve: { resources: [labelled(FW)] } }])
    expect(answer(m, offer('a', [labelled('someone-else')])).operations).toEqual([])
  })

  test('scale down keeps the reservation for a later scale up; wipe forgets it and a new one is made', () => {
    const { m, killed } = setup()
    m.createApp(residentApp(), false)
    const first = answer(m, fresh('a'))
    const taskId = first.tasks[0]!.task_id.value
    m.taskStatus(status(taskId, 'TASK_RUNNING'))
    m.putApp('/db', { instances: 0 }, { force: true, partial: true })
    m.tick()
    expect(killed).toEqual([taskId])
    m.taskStatus(status(taskId, 'TASK_KILLED'))
    expect(m.reservationsOf('/db')).toHaveLength(1)
    expect(answer(m, reservedOffer('a', first)).operations).toEqual([])
    m.putApp('/db', { instances: 1 }, { force: true, partial: true })
    const back = answer(m, reservedOffer('a', first))
    expect(back.operations.map(o => o.type)).toEqual(['LAUNCH'])
    const id2 = back.tasks[0]!.task_id.value
    m.taskStatus(status(id2, 'TASK_RUNNING'))
    // DELETE /v2/apps/db/tasks/<id>?wipe=true
    m.killTasks([id2], { scale: false, force: false, wipe: true })
    m.taskStatus(status(id2, 'TASK_KILLED'))
    expect(m.reservationsOf('/db')).toHaveLength(0)
    clock += 600_000
    const both = m.answerOffers([reservedOffer('a', back), fresh('b')], FW)
    expect(both[0]!.operations.map(o => o.type)).toEqual(['DESTROY', 'UNRESERVE'])
    expect(both[1]!.operations.map(o => o.type)).toEqual(['RESERVE', 'CREATE', 'LAUNCH'])
    expect(m.reservationsOf('/db').map(r => r.agentId)).toEqual(['agent-b'])
  })

  test('a restart kills the old task before launching on its reservation (maximumOverCapacity 0)', () => {
    const { m, killed } = setup()
    m.createApp(residentApp(), false)
    const first = answer(m, fresh('a'))
    const taskId = first.tasks[0]!.task_id.value
    m.taskStatus(status(taskId, 'TASK_RUNNING'))
    clock += 1000
    m.restartApp('/db', true)
    expect(killed).toEqual([taskId])
    const app = m.getApp('/db')
    // The new task is wanted, but only on the old one's reservation, which its task still holds.
    expect(decideRollout(app, m.instancesOf('/db'), clock).launch).toBe(1)
    expect(answer(m, fresh('b')).operations).toEqual([])
    m.taskStatus(status(taskId, 'TASK_KILLED'))
    const relaunched = answer(m, reservedOffer('a', first))
    expect(relaunched.operations.map(o => o.type)).toEqual(['LAUNCH'])
    expect(m.instances.get(relaunched.tasks[0]!.task_id.value)!.configVersion).toBe(app.versionInfo.lastConfigChangeAt)
  })

  test('a reservation the master did not make (its task never started) is forgotten; one a task ran on is kept', () => {
    const { m } = setup()
    m.createApp(residentApp(), false)
    const first = answer(m, fresh('a'))
    m.taskStatus(status(first.tasks[0]!.task_id.value, 'TASK_ERROR'))
    expect(m.reservations.size).toBe(0)
    clock += 600_000
    const second = answer(m, fresh('b'))
    expect(second.operations.map(o => o.type)).toEqual(['RESERVE', 'CREATE', 'LAUNCH'])
    m.taskStatus(status(second.tasks[0]!.task_id.value, 'TASK_RUNNING'))
    expect(m.reservationsOf('/db')[0]!.confirmed).toBe(true)
    m.taskStatus(status(second.tasks[0]!.task_id.value, 'TASK_LOST'))
    expect(m.reservationsOf('/db')).toHaveLength(1)
  })

  test('a master restart recovers the reservations: the instance still relaunches on its own', () => {
    const kv = persistentStore()
    const before = setup(kv())
    before.m.createApp(residentApp(), false)
    const first = answer(before.m, fresh('a'))
    const after = setup(kv())
    expect(after.m.reservationsOf('/db')).toEqual(before.m.reservationsOf('/db'))
    after.m.taskStatus(status(first.tasks[0]!.task_id.value, 'TASK_FINISHED'))
    clock += 600_000
    expect(answer(after.m, fresh('b')).operations).toEqual([])
    expect(answer(after.m, reservedOffer('a', first)).operations.map(o => o.type)).toEqual(['LAUNCH'])
  })
})
