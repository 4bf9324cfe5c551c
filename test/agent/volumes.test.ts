// The agent side of dynamic reservations and persistent volumes without processes: applying checkpointed resources
// to the static ones, volume paths, the directory diff, mount planning, and the target/commit cycle of the
// checkpoint with real directories in a temporary work dir.

import { describe, expect, test } from 'bun:test'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Checkpoint } from '../../src/agent/checkpoint.ts'
import { baseSpec } from '../../src/agent/containerizer/oci-spec.ts'
import { createIsolators, isolatorSetup } from '../../src/agent/isolators/index.ts'
import { IsolationError } from '../../src/agent/isolators/isolator.ts'
import type { Agent } from '../../src/agent/agent.ts'
import { agentResourcesV0, endpointResource } from '../../src/agent/views.ts'
import type { Viewer } from '../../src/core/authz/viewer.ts'
import { AgentResources } from '../../src/agent/volumes/agent-resources.ts'
import {
  applyCheckpointedResources, CheckpointedResourcesError, needsCheckpointing, persistentVolumePath, sameCheckpointedResources, volumeDirChanges,
} from '../../src/agent/volumes/checkpointed-resources.ts'
import { createPersistentVolumeIsolator, PERSISTENT_VOLUME_ISOLATOR } from '../../src/agent/volumes/persistent-volume-isolator.ts'
import { planVolumeMounts, VolumeMountError } from '../../src/agent/volumes/volume-mounts.ts'
import { parseResourcesFlag, Resources, type Resource } from '../../src/core/resources.ts'
import { openStore } from '../../src/core/store.ts'
import { agentFlags, isolationContext } from '../helpers/isolation.ts'

const dyn = (role: string, principal = 'ops') => ({ type: 'DYNAMIC' as const, role, principal })
const cpus = (v: number, reservations?: Resource['reservations']): Resource => ({ name: 'cpus', type: 'SCALAR', scalar: { value: v }, ...(reservations ? { reservations } : {}) })
const disk = (v: number, reservations?: Resource['reservations'], d?: Record<string, unknown>): Resource => ({ name: 'disk', type: 'SCALAR', scalar: { value: v }, ...(reservations ? { reservations } : {}), ...(d ? { disk: d } : {}) })
const volume = (id: string, role: string, size = 64, path = 'data', mode: 'RW' | 'RO' = 'RW') =>
  disk(size, [dyn(role)], { persistence: { id, principal: 'ops' }, volume: { container_path: path, mode } })

const staticResources = Resources.of(parseResourcesFlag('cpus:4;mem:1024;disk:1000;cpus(web):1'))

describe('applyCheckpointedResources', () => {
  test('a dynamic reservation converts unreserved resources; the quantity stays', () => {
    const total = applyCheckpointedResources(staticResources, [cpus(2, [dyn('db')])])
    expect(total.reservedFor('db').scalar('cpus')).toBe(2)
    expect(total.unreserved().scalar('cpus')).toBe(2)
    expect(total.scalar('cpus')).toBe(5)
  })

  test('a refinement of a static reservation is carved out of that reservation', () => {
    const refined = cpus(0.5, [{ type: 'STATIC', role: 'web' }, dyn('web/api')])
    const total = applyCheckpointedResources(staticResources, [refined])
    expect(total.reservedFor('web').scalar('cpus')).toBe(0.5)
    expect(total.reservedFor('web/api').scalar('cpus')).toBe(0.5)
    expect(total.unreserved().scalar('cpus')).toBe(4)
  })

  test('a volume is carved out of plain disk (here after its reservation)', () => {
    const total = applyCheckpointedResources(staticResources, [disk(200, [dyn('db')]), volume('v1', 'db', 64)])
    expect(total.unreserved().scalar('disk')).toBe(736)
    const reserved = total.reservedFor('db').list.filter(r => r.name === 'disk')
    expect(reserved.map(r => r.scalar!.value).sort((a, b) => a - b)).toEqual([64, 200])
  })

  test('more than the static resources hold is refused with upstream\'s message', () => {
    expect(() => applyCheckpointedResources(staticResources, [cpus(8, [dyn('db')])])).toThrow(/^Incompatible agent resources: .* does not contain cpus:8/)
    expect(() => applyCheckpointedResources(staticResources, [cpus(1, [dyn('web/api')]), cpus(1, [{ type: 'STATIC', role: 'web' }, dyn('web/x')])])).not.toThrow()
  })

  test('plain resources are not checkpointed resources', () => {
    expect(() => applyCheckpointedResources(staticResources, [cpus(1)])).toThrow(CheckpointedResourcesError)
    expect(needsCheckpointing(cpus(1, [{ type: 'STATIC', role: 'web' }]))).toBe(false)
    expect(needsCheckpointing(cpus(1, [{ type: 'STATIC', role: 'web' }, dyn('web/a')]))).toBe(true)
    expect(needsCheckpointing({ ...cpus(1), role: 'db', reservation: { principal: 'ops' } })).toBe(true) // pre-refinement input
  })
})

describe('persistent volume paths', () => {
  test('volumes/roles/<role>/<id>, a hierarchical role with spaces for slashes', () => {
    expect(persistentVolumePath('/w', volume('v1', 'db'))).toBe('/w/volumes/roles/db/v1')
    expect(persistentVolumePath('/w', volume('v1', 'eng/db'))).toBe('/w/volumes/roles/eng db/v1')
  })

  test('ids and roles that could name another directory are refused', () => {
    expect(() => persistentVolumePath('/w', volume('..', 'db'))).toThrow(/reserved IDs/)
    expect(() => persistentVolumePath('/w', volume('a/b', 'db'))).toThrow(/must not contain/)
    expect(() => persistentVolumePath('/w', disk(1, undefined, { persistence: { id: 'x' } }))).toThrow(/not reserved/)
    expect(() => persistentVolumePath('/w', disk(1, [dyn('db')], { persistence: { id: 'x' }, source: { type: 'MOUNT' } }))).toThrow(/not supported/)
  })

  test('the directory diff creates new volumes and removes destroyed ones only', () => {
    const { create, remove } = volumeDirChanges('/w', [volume('a', 'db'), volume('b', 'db'), cpus(1, [dyn('db')])], [volume('b', 'db'), volume('c', 'eng/x')])
    expect(create.map(v => v.path)).toEqual(['/w/volumes/roles/eng x/c'])
    expect(remove.map(v => v.path)).toEqual(['/w/volumes/roles/db/a'])
  })

  test('sets compare by content, not order', () => {
    expect(sameCheckpointedResources([volume('a', 'db'), cpus(1, [dyn('db')])], [cpus(0.5, [dyn('db')]), cpus(0.5, [dyn('db')]), volume('a', 'db')])).toBe(true)
    expect(sameCheckpointedResources([volume('a', 'db')], [volume('a', 'db', 65)])).toBe(false)
  })
})

describe('planVolumeMounts', () => {
  const ctx = (launcher: 'linux' | 'posix', hasImage = false) => ({ workDir: '/w', launcher, hasImage, sandbox: { host: '/w/sb', container: '/mnt/mesos/sandbox' } })

  test('a relative path is inside the sandbox; RO follows disk.volume.mode', () => {
    expect(planVolumeMounts([cpus(1), volume('v1', 'db', 64, 'data/pg', 'RO')], ctx('linux'))).toEqual([
      { persistenceId: 'v1', source: '/w/volumes/roles/db/v1', sandboxTarget: '/w/sb/data/pg', destination: '/mnt/mesos/sandbox/data/pg', readOnly: true },
    ])
  })

  test('absolute paths need the linux launcher and an image', () => {
    expect(planVolumeMounts([volume('v1', 'db', 64, '/var/lib/pg')], ctx('linux', true))[0]!.destination).toBe('/var/lib/pg')
    expect(() => planVolumeMounts([volume('v1', 'db', 64, '/var/lib/pg')], ctx('linux'))).toThrow(/needs a container image/)
    expect(() => planVolumeMounts([volume('v1', 'db', 64, '/var/lib/pg')], ctx('posix'))).toThrow(/posix launcher can place volumes only inside the sandbox/)
  })

  test('what cannot be honoured fails, naming the volume', () => {
    expect(() => planVolumeMounts([volume('v1', 'db', 64, 'data', 'RO')], ctx('posix'))).toThrow(/'v1' is read-only .* cannot make them read-only/)
    expect(() => planVolumeMounts([volume('v1', 'db', 64, '../x')], ctx('linux'))).toThrow(/escapes the sandbox/)
    expect(() => planVolumeMounts([disk(1, [dyn('db')], { persistence: { id: 'v1' } })], ctx('linux'))).toThrow(VolumeMountError)
    expect(() => planVolumeMounts([volume('v1', 'db'), volume('v2', 'db')], ctx('linux'))).toThrow(/another volume is already at 'data'/)
  })
})

describe('AgentResources: target, sync, commit', () => {
  const setup = () => {
    const workDir = mkdtempSync(join(tmpdir(), 'volumes-'))
    const cp = new Checkpoint(openStore(join(workDir, 'agent.db')))
    return { workDir, cp, state: new AgentResources(cp, workDir, staticResources) }
  }

  test('CHECKPOINT_RESOURCES creates new volume directories and removes destroyed ones, with their data', () => {
    const { workDir, cp, state } = setup()
    state.apply([disk(100, [dyn('db')]), volume('v1', 'db')], () => false)
    const dir = join(workDir, 'volumes/roles/db/v1')
    expect(existsSync(dir)).toBe(true)
    writeFileSync(join(dir, 'file'), 'data')
    expect(state.total.reservedFor('db').scalar('disk')).toBe(164)
    expect(cp.checkpointedResources()).toHaveLength(2)
    expect(cp.targetCheckpointedResources()).toBeUndefined()
    state.apply([disk(164, [dyn('db')])], () => false)
    expect(existsSync(dir)).toBe(false)
    expect(readdirSync(join(workDir, 'volumes/roles/db'))).toEqual([])
  })

  test('a volume in use is kept until its container is gone', () => {
    const { workDir, state } = setup()
    state.apply([volume('v1', 'db')], () => false)
    const dir = join(workDir, 'volumes/roles/db/v1')
    let used = true
    state.apply([], p => used && p === dir)
    expect(existsSync(dir)).toBe(true)
    state.retryDeferredRemovals(() => used)
    expect(existsSync(dir)).toBe(true)
    used = false
    state.retryDeferredRemovals(() => used)
    expect(existsSync(dir)).toBe(false)
  })

  test('a set that does not fit the static resources changes nothing', () => {
    const { cp, state } = setup()
    expect(() => state.apply([cpus(100, [dyn('db')])], () => false)).toThrow(/Incompatible agent resources/)
    expect(cp.checkpointedResources()).toEqual([])
    expect(cp.targetCheckpointedResources()).toBeUndefined()
  })

  test('a restart between target and commit finishes the sync; then the set is what was applied', () => {
    const { workDir, cp } = setup()
    cp.setTargetCheckpointedResources([volume('v2', 'eng/db')]) // the agent died right after persisting the target
    const state = new AgentResources(cp, workDir, staticResources)
    state.recover(() => false)
    expect(existsSync(join(workDir, 'volumes/roles/eng db/v2'))).toBe(true)
    expect(cp.targetCheckpointedResources()).toBeUndefined()
    expect(state.checkpointed).toEqual([volume('v2', 'eng/db')])
    expect(state.total.reservedFor('eng/db').scalar('disk')).toBe(64)
  })

  test('recovery refuses checkpointed resources the new --resources cannot hold', () => {
    const { workDir, cp, state } = setup()
    state.apply([cpus(3, [dyn('db')])], () => false)
    const smaller = new AgentResources(cp, workDir, Resources.of(parseResourcesFlag('cpus:2;mem:1024;disk:1000')))
    expect(() => smaller.recover(() => false)).toThrow(/^Checkpointed resources cpus\(db\):3 are incompatible with agent resources/)
  })

  test('forget drops the set (registering as a new agent) but leaves volume data on disk', () => {
    const { workDir, cp, state } = setup()
    state.apply([volume('v1', 'db')], () => false)
    state.forget('host rebooted')
    expect(cp.checkpointedResources()).toEqual([])
    expect(state.checkpointed).toEqual([])
    expect(existsSync(join(workDir, 'volumes/roles/db/v1'))).toBe(true)
  })
})

test('/state resources use upstream\'s ENDPOINT format', () => {
  expect(endpointResource(cpus(1))).toEqual({ ...cpus(1), role: '*' })
  expect(endpointResource(cpus(1, [dyn('db')]))).toEqual({ ...cpus(1), role: 'db', reservation: { principal: 'ops' }, reservations: [dyn('db')] })
  expect(endpointResource(cpus(1, [{ type: 'STATIC', role: 'web' }]))).toEqual({ ...cpus(1), role: 'web', reservations: [{ type: 'STATIC', role: 'web' }] })
  const refined = cpus(1, [{ type: 'STATIC', role: 'web' }, dyn('web/a')])
  expect(endpointResource(refined)).toEqual(refined)
})

describe('the persistent volume isolator', () => {
  const setup = () => {
    const workDir = mkdtempSync(join(tmpdir(), 'volumes-iso-'))
    const sandbox = join(workDir, 'sandbox')
    mkdirSync(sandbox)
    mkdirSync(join(workDir, 'volumes/roles/db/v1'), { recursive: true })
    const c = isolationContext({ resources: Resources.of([cpus(1), volume('v1', 'db', 64, 'data')]), sandbox: { host: sandbox, container: '/mnt/mesos/sandbox' } })
    return { workDir, sandbox, c }
  }
  const spec = (uid = 0) => baseSpec({
    argv: ['true'], env: {}, cwd: '/mnt/mesos/sandbox', uid, gid: uid, cgroupsPath: '/meso/c', rootfs: '/b/rootfs',
    rootMounts: [], sandbox: { host: '/h/sandbox', container: '/mnt/mesos/sandbox' }, terminal: false, capabilities: [], ownNetwork: false,
  })

  test('linux: a bind mount in the sandbox, its mount point made, the directory handed to the task\'s user', async () => {
    const { workDir, sandbox, c } = setup()
    const iso = createPersistentVolumeIsolator('linux', workDir, true)
    await iso.prepare!(c)
    const s = spec(65534)
    iso.isolate!(s, c)
    expect(s.mounts.at(-1)).toEqual({ destination: '/mnt/mesos/sandbox/data', type: 'bind', source: join(workDir, 'volumes/roles/db/v1'), options: ['rbind', 'rw'] })
    expect(statSync(join(sandbox, 'data')).isDirectory()).toBe(true)
    if (process.getuid?.() === 0) expect(statSync(join(workDir, 'volumes/roles/db/v1')).uid).toBe(65534)
  })

  test('posix: a symlink in the sandbox, kept by a relaunch', async () => {
    const { workDir, sandbox, c } = setup()
    const iso = createPersistentVolumeIsolator('posix', workDir, true)
    await iso.prepare!(c)
    expect(readlinkSync(join(sandbox, 'data'))).toBe(join(workDir, 'volumes/roles/db/v1'))
    await iso.prepare!(c)
    expect(readlinkSync(join(sandbox, 'data'))).toBe(join(workDir, 'volumes/roles/db/v1'))
  })

  test('a volume with no directory fails the launch, naming it', async () => {
    const { workDir, c } = setup()
    rmSync(join(workDir, 'volumes/roles/db/v1'), { recursive: true })
    const iso = createPersistentVolumeIsolator('linux', workDir, true)
    expect(() => iso.prepare!(c)).toThrow(IsolationError)
    expect(() => iso.prepare!(c)).toThrow(/Persistent volume 'v1' does not exist on this agent/)
  })

  test('it is on with either launcher, whatever --isolation says', async () => {
    for (const launcher of ['linux', 'posix'] as const) {
      const isolators = await createIsolators(isolatorSetup({ flags: agentFlags({ isolation: launcher === 'linux' ? 'cgroups/cpu' : 'posix/cpu' }), launcher, runtimeDir: '/run/meso', workDir: '/w', offer: { resources: Resources.of(parseResourcesFlag('cpus:1')), attributes: [] } }))
      expect(isolators.map(i => i.name)).toContain(PERSISTENT_VOLUME_ISOLATOR)
    }
  })
})

test('/state resource fields: static and dynamic reservations by role, what running tasks hold', () => {
  const cp = new Checkpoint(openStore(':memory:'))
  const resources = new AgentResources(cp, mkdtempSync(join(tmpdir(), 'volumes-state-')), staticResources)
  resources.apply([cpus(2, [dyn('db')])], () => false)
  const task = { terminal: false, info: { resources: [{ ...cpus(1, [dyn('db')]), allocation_info: { role: 'db' } }, { name: 'mem', type: 'SCALAR', scalar: { value: 64 }, allocation_info: { role: 'db' } }] } }
  const agent = { resources, *executors() { yield { state: 'running', kind: 'command', info: {}, tasks: new Map([['t', task]]) } } } as unknown as Agent
  const v = agentResourcesV0(agent)
  expect(v.reserved_resources).toEqual({ web: { cpus: 1, gpus: 0, mem: 0, disk: 0 }, db: { cpus: 2, gpus: 0, mem: 0, disk: 0 } })
  expect(v.unreserved_resources).toEqual({ cpus: 2, gpus: 0, mem: 1024, disk: 1000 })
  expect(v.reserved_resources_full.web).toEqual([{ ...cpus(1, [{ type: 'STATIC', role: 'web' }]), role: 'web' }])
  expect(v.reserved_resources_allocated).toEqual({ db: { cpus: 1, gpus: 0, mem: 0, disk: 0 } })
  expect(v.unreserved_resources_allocated).toEqual({ cpus: 0, gpus: 0, mem: 64, disk: 0 })
  // VIEW_ROLE: a role the caller may not view is left out.
  const viewer = { role: (r: string) => r !== 'db' } as unknown as Viewer
  expect(Object.keys(agentResourcesV0(agent, viewer).reserved_resources)).toEqual(['web'])
})
