// The /v2 routes as Marathon clients call them (marathon-python's requests: `force=False`, repeated `embed`,
// update_app's partial PUT, rollback_app's {"version": …}, kill_given_tasks, delete_deployment(force=True), groups),
// against a service manager without a cluster: status codes, bodies and headers.

import { describe, expect, test } from 'bun:test'
import { aclsFromFlag } from '../../../src/core/authz/acls.ts'
import { RequestAuthz } from '../../../src/core/authz/request.ts'
import { KvArea } from '../../../src/master/builtin-frameworks/store.ts'
import { ServiceEvents } from '../../../src/master/services/event-stream.ts'
import { ServiceManager } from '../../../src/master/services/service-manager.ts'
import { handleServicesRequest } from '../../../src/master/services/services-api.ts'

let clock = Date.parse('2026-01-01T00:00:00Z')
function setup() {
  const m = new ServiceManager(new KvArea([], () => {}).namespace('services'), new ServiceEvents(), { now: () => (clock += 1000) })
  m.killer = { kill: () => {} }
  const call = async (method: string, path: string, body?: unknown) => {
    const req = new Request(`http://master${path}`, { method, headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) })
    const res = await handleServicesRequest(m, { leader: '127.0.0.1:5050', frameworkId: () => 'fw', version: '1.11.0' }, new RequestAuthz(aclsFromFlag(undefined), undefined), req, new URL(req.url), '127.0.0.1:1')
    const text = await res.text()
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined }
  }
  return { m, call }
}

describe('/v2/apps', () => {
  test('create, read with embeds, partial update, scale-only versions, rollback to a version', async () => {
    const { call } = setup()
    const created = await call('POST', '/v2/apps', { id: 'web', cmd: 'serve', cpus: 0.1, mem: 32 })
    expect(created.status).toBe(201)
    expect(created.headers.get('Location')).toBe('/v2/apps/web')
    expect(created.headers.get('Marathon-Deployment-Id')).toBe(created.body.deployments[0].id)
    expect((await call('POST', '/v2/apps', { id: 'web', cmd: 'x' })).body).toEqual({ message: 'An app with id [/web] already exists.' })
    const list = await call('GET', '/v2/apps?embed=apps.tasks&embed=apps.counts')
    expect(list.body.apps[0]).toMatchObject({ id: '/web', tasks: [], tasksRunning: 0, deployments: [{ id: expect.any(String) }] })
    // update_app(force=False) while the first deployment runs: 409; forced, it goes through.
    expect((await call('PUT', '/v2/apps/web?force=False', { instances: 2 })).status).toBe(409)
    const scaled = await call('PUT', '/v2/apps/web?force=True', { instances: 2 })
    expect(scaled.status).toBe(200)
    expect(scaled.headers.get('Marathon-Deployment-Id')).toBe(scaled.body.deploymentId)
    const v = await call('GET', '/v2/apps/web/versions')
    expect(v.body.versions).toHaveLength(2)
    const first = v.body.versions[1]
    const old = await call('GET', `/v2/apps/web/versions/${first}`)
    expect(old.body).toMatchObject({ id: '/web', instances: 1, version: first })
    // rollback_app: {"version": …}.
    expect((await call('PUT', '/v2/apps/web?force=true', { version: first })).status).toBe(200)
    expect((await call('GET', '/v2/apps/web')).body.app.instances).toBe(1)
    // ?partialUpdate=false replaces: a field left out goes back to its default.
    await call('PUT', '/v2/apps/web?force=true', { labels: { a: 'b' } })
    expect((await call('GET', '/v2/apps/web')).body.app.labels).toEqual({ a: 'b' })
    await call('PUT', '/v2/apps/web?force=true&partialUpdate=false', { cmd: 'serve', cpus: 0.1, mem: 32 })
    expect((await call('GET', '/v2/apps/web')).body.app.labels).toEqual({})
  })

  test("PUT creates (201), 422s are Marathon's, unknown apps 404, wrong methods 405", async () => {
    const { call } = setup()
    const put = await call('PUT', '/v2/apps/team/api', { cmd: 'x', mem: 16, cpus: 0.1 })
    expect(put.status).toBe(201)
    expect(put.body).toEqual({ deploymentId: expect.any(String), version: expect.any(String) })
    const bad = await call('PUT', '/v2/apps/team/api2', { cmd: 'x', instances: -1 })
    expect(bad).toMatchObject({ status: 422, body: { message: 'Object is not valid', details: [{ path: '/instances', errors: ['got -1, expected 0 or more'] }] } })
    expect((await call('GET', '/v2/apps/nope')).status).toBe(404)
    expect((await call('POST', '/v2/apps/team/api/versions')).status).toBe(405)
    expect((await call('GET', '/v2/apps?embed=apps.bogus')).status).toBe(400)
  })
})

describe('deployments, tasks, groups, queue', () => {
  test('delete_deployment(force=True) answers 202 and no body; without force a rollback', async () => {
    const { call, m } = setup()
    await call('POST', '/v2/apps', { id: 'a', cmd: 'x', cpus: 0.1, mem: 16 })
    const [d] = (await call('GET', '/v2/deployments')).body
    expect(Object.keys(d).sort()).toEqual(['affectedApps', 'affectedPods', 'currentActions', 'currentStep', 'id', 'steps', 'totalSteps', 'version'])
    expect(d).toMatchObject({ affectedApps: ['/a'], currentStep: 2, totalSteps: 2, currentActions: [{ action: 'ScaleApplication', app: '/a', readinessCheckResults: [] }] })
    expect((await call('GET', '/v2/deployments?embed=reasons')).body[0].reason).toContain('/a: waiting for 1 more task(s) to launch')
    const forced = await call('DELETE', `/v2/deployments/${d.id}?force=true`)
    expect(forced.status).toBe(202)
    expect(forced.body).toBeUndefined()
    await call('PUT', '/v2/apps/b', { cmd: 'x', cpus: 0.1, mem: 16 })
    const [d2] = (await call('GET', '/v2/deployments')).body
    const back = await call('DELETE', `/v2/deployments/${d2.id}`)
    expect(back.status).toBe(200)
    // Rolling back the creation of /b removes it.
    expect(m.apps.has('/b')).toBe(false)
    expect((await call('DELETE', '/v2/deployments/nope')).status).toBe(404)
  })

  test('groups: nested ids resolved against their group; PUT replaces the group’s apps', async () => {
    const { call } = setup()
    const g = await call('POST', '/v2/groups', { id: '/shop', apps: [{ id: 'web', cmd: 'x', cpus: 0.1, mem: 16 }], groups: [{ id: 'back', apps: [{ id: 'db', cmd: 'x', cpus: 0.1, mem: 16 }] }] })
    expect(g.status).toBe(201)
    const root = (await call('GET', '/v2/groups')).body
    expect(root).toMatchObject({ id: '/', apps: [], groups: [{ id: '/shop', apps: [{ id: '/shop/web' }], groups: [{ id: '/shop/back', apps: [{ id: '/shop/back/db' }] }] }] })
    await call('PUT', '/v2/groups/shop?force=true', { id: '/shop', apps: [{ id: 'web', cmd: 'y', cpus: 0.1, mem: 16 }] })
    expect((await call('GET', '/v2/apps')).body.apps.map((a: any) => a.id)).toEqual(['/shop/web'])
    expect((await call('GET', '/v2/groups/nope')).status).toBe(404)
  })

  test('queue, info, leader, ping, tasks', async () => {
    const { call } = setup()
    await call('POST', '/v2/apps', { id: 'q', cmd: 'x', cpus: 0.1, mem: 16, instances: 2 })
    const q = (await call('GET', '/v2/queue')).body.queue
    expect(q).toHaveLength(1)
    expect(Object.keys(q[0]).sort()).toEqual(['app', 'count', 'delay', 'processedOffersSummary', 'since'])
    expect(q[0]).toMatchObject({ count: 2, delay: { timeLeftSeconds: 0, overdue: true }, processedOffersSummary: { processedOffersCount: 0, unusedOffersCount: 0 } })
    expect((await call('GET', '/v2/queue?embed=lastUnusedOffers')).body.queue[0].lastUnusedOffers).toEqual([])
    expect((await call('DELETE', '/v2/queue/q/delay')).status).toBe(204)
    expect((await call('GET', '/v2/info')).body).toMatchObject({ name: 'marathon', version: '1.11.0', elected: true, leader: '127.0.0.1:5050', frameworkId: 'fw' })
    expect((await call('GET', '/v2/leader')).body).toEqual({ leader: '127.0.0.1:5050' })
    expect((await call('GET', '/v2/tasks')).body).toEqual({ tasks: [] })
    expect((await call('POST', '/v2/tasks/delete?scale=False', { ids: ['q.00000000-0000-4000-8000-000000000000'] })).status).toBe(404)
    expect((await call('POST', '/v2/tasks/delete', { nope: 1 })).status).toBe(422)
  })
})
