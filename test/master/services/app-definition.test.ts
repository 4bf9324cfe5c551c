// App definitions with Marathon's defaults, its validation rules and 422 details, and what meso refuses.

import { describe, expect, test } from 'bun:test'
import { parseApp, sameConfig } from '../../../src/master/services/app-definition.ts'
import { appIdOfTask, canonicalPathId, newTaskId, pathIdError } from '../../../src/master/services/path-id.ts'
import { ValidationError } from '../../../src/master/services/validation-issues.ts'

const NOW = '2026-01-01T00:00:00.000Z'
const parse = (raw: unknown, extra: Record<string, unknown> = {}) => parseApp(raw, { now: NOW, ...extra })
const details = (raw: unknown) => {
  try { parse(raw) } catch (err) { if (err instanceof ValidationError) return err.body(); throw err }
  throw new Error('expected a validation error')
}

describe('path ids', () => {
  test('segments, relative ids and .. as Marathon', () => {
    expect(pathIdError('/team/web')).toBeUndefined()
    expect(pathIdError('web.v2')).toBeUndefined()
    expect(pathIdError('/Team')).toContain('must fully match regular expression')
    expect(pathIdError('/a_b')).toContain('must fully match')
    expect(pathIdError('-web')).toContain('must fully match')
    expect(canonicalPathId('web', '/team')).toBe('/team/web')
    expect(canonicalPathId('../web', '/team/sub')).toBe('/team/web')
    expect(canonicalPathId('../../..', '/team')).toBeUndefined()
  })
  test('task ids name their app', () => {
    const id = newTaskId('/team/web.v2', '0c6e6a8e-8b5d-4b79-9d6e-6b0b8a7c9f10')
    expect(id).toBe('team_web.v2.0c6e6a8e-8b5d-4b79-9d6e-6b0b8a7c9f10')
    expect(appIdOfTask(id)).toBe('/team/web.v2')
    expect(appIdOfTask('job_x.1')).toBeUndefined()
  })
})

describe('defaults', () => {
  test("Marathon's defaults for a minimal app", () => {
    const app = parse({ id: 'web', cmd: 'serve' })
    expect(app).toMatchObject({
      id: '/web', cmd: 'serve', instances: 1, cpus: 1, mem: 128, disk: 0, gpus: 0, backoffSeconds: 1, backoffFactor: 1.15,
      maxLaunchDelaySeconds: 300, upgradeStrategy: { minimumHealthCapacity: 1, maximumOverCapacity: 1 }, killSelection: 'YOUNGEST_FIRST',
      unreachableStrategy: { inactiveAfterSeconds: 0, expungeAfterSeconds: 0 }, networks: [{ mode: 'host' }], requirePorts: false,
      portDefinitions: [{ port: 0, protocol: 'tcp', name: 'default', labels: {} }], role: '*', version: NOW,
      versionInfo: { lastScalingAt: NOW, lastConfigChangeAt: NOW },
    })
  })
  test('health check defaults and the Mesos protocols', () => {
    const app = parse({ id: 'web', cmd: 'x', healthChecks: [{ protocol: 'MESOS_HTTP', path: '/health' }] })
    expect(app.healthChecks[0]).toEqual({ protocol: 'MESOS_HTTP', path: '/health', portIndex: 0, gracePeriodSeconds: 300, intervalSeconds: 60, timeoutSeconds: 20, maxConsecutiveFailures: 3, delaySeconds: 15, ipProtocol: 'IPv4' })
  })
  test('legacy uris become fetch entries; read-only fields are ignored', () => {
    const app = parse({ id: 'web', cmd: 'x', uris: ['http://h/a.tgz', 'http://h/b'], tasksRunning: 3, version: 'x', deployments: [] })
    expect(app.fetch).toEqual([{ uri: 'http://h/a.tgz', extract: true, executable: false, cache: false }, { uri: 'http://h/b', extract: false, executable: false, cache: false }])
  })
  test('a change of instances alone is a scaling', () => {
    const v1 = parse({ id: 'web', cmd: 'x' })
    const v2 = parseApp({ ...v1, instances: 5 }, { now: '2026-01-02T00:00:00.000Z', previous: v1 })
    expect(v2.versionInfo).toEqual({ lastScalingAt: '2026-01-02T00:00:00.000Z', lastConfigChangeAt: NOW })
    expect(sameConfig(v1, v2)).toBe(true)
    const v3 = parseApp({ ...v1, cmd: 'y' }, { now: '2026-01-03T00:00:00.000Z', previous: v1 })
    expect(v3.versionInfo.lastConfigChangeAt).toBe('2026-01-03T00:00:00.000Z')
  })
})

describe("Marathon's 422s", () => {
  test('bounds, with the paths and wording of its details', () => {
    expect(details({ id: 'web', cmd: 'x', cpus: -1, instances: -2, mem: -5 })).toEqual({
      message: 'Object is not valid',
      details: [
        { path: '/instances', errors: ['got -2, expected 0 or more'] },
        { path: '/cpus', errors: ['got -1.0, expected 0.0 or more'] },
        { path: '/mem', errors: ['got -5.0, expected 0.0 or more'] },
      ],
    })
  })
  test('an id, a command, the upgrade strategy', () => {
    const d = details({ id: '/Bad_Id', upgradeStrategy: { minimumHealthCapacity: 1.5 } })
    expect(d.details).toContainEqual({ path: '/id', errors: [expect.stringContaining('must fully match regular expression')] })
    expect(d.details).toContainEqual({ path: '/', errors: ["AppDefinition must either contain one of 'cmd' or 'args', and/or a 'container'."] })
    expect(d.details).toContainEqual({ path: '/upgradeStrategy/minimumHealthCapacity', errors: ['got 1.5, expected between 0.0 and 1.0'] })
  })
  test('constraints syntax', () => {
    const d = details({ id: 'web', cmd: 'x', constraints: [['hostname', 'UNIQUE', 'x'], ['rack', 'MAX_PER', 'two'], ['a', 'NOPE'], ['a']] })
    expect(d.details).toEqual([
      { path: '/constraints(0)', errors: ['Value specified but not used'] },
      { path: '/constraints(1)', errors: ['Value was not a valid integer'] },
      { path: '/constraints(2)', errors: ['Constraint operator must be one of the following: [UNIQUE, CLUSTER, GROUP_BY, LIKE, UNLIKE, MAX_PER, IS]'] },
      { path: '/constraints(3)', errors: ['Each constraint must have either 2 or 3 fields'] },
    ])
  })
  test('port definitions and health checks', () => {
    const d = details({ id: 'web', cmd: 'x', portDefinitions: [{ port: 80 }, { port: 80 }], healthChecks: [{ protocol: 'MESOS_HTTP', portIndex: 5 }] })
    expect(d.details).toContainEqual({ path: '/portDefinitions', errors: ['Ports must be unique.'] })
    expect(d.details).toContainEqual({ path: '/healthChecks(0)', errors: ['Health check port indices must address an element of the ports array or container port mappings.'] })
  })
  test('secrets referenced from env must exist', () => {
    const d = details({ id: 'web', cmd: 'x', env: { PW: { secret: 'pw' } } })
    expect(d.details).toEqual([{ path: '/env/PW', errors: ["references an undefined secret named 'pw'"] }])
    expect(parse({ id: 'web', cmd: 'x', env: { PW: { secret: 'pw' } }, secrets: { pw: { source: 'db/password' } } }).env).toEqual({ PW: { secret: 'pw' } })
  })
  test('what meso cannot honour is refused, not dropped', () => {
    const d = details({
      id: 'web', cmd: 'x', dependencies: ['/db'], unknownField: 1,
      container: { type: 'MESOS', volumes: [{ containerPath: 'data', mode: 'RW', persistent: { size: 10, type: 'mount' } }, { containerPath: 'ext', external: { name: 'v' } }] }, networks: [{ mode: 'container/bridge' }],
    })
    const paths = d.details.map((x: { path: string }) => x.path)
    // Persistent volumes are supported (resident.test.ts), but not on MOUNT disks, and not for the role "*".
    expect(paths).toEqual(expect.arrayContaining(['/dependencies', '/unknownField', '/container/volumes(0)/persistent/type', '/container/volumes(1)/external', '/networks(0)/mode']))
  })
})
