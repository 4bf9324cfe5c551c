// Marathon's /v2 REST API over the service manager (its AppsResource, TasksResource, DeploymentsResource,
// GroupsResource, QueueResource, InfoResource, LeaderResource and EventsResource: the same paths, query
// parameters, status codes and bodies):
//   /v2/apps                          GET (?cmd ?id ?label ?embed), POST (?force), PUT (a list; ?force ?partialUpdate)
//   /v2/apps/{id}                     GET (?embed), PUT (create or update; ?force ?partialUpdate=true), PATCH, DELETE
//   /v2/apps/{id}/restart             POST (?force)
//   /v2/apps/{id}/tasks[/{task}]      GET, DELETE (?scale ?force ?wipe)
//   /v2/apps/{id}/versions[/{v}]      GET
//   /v2/tasks                         GET (?status); /v2/tasks/delete POST {"ids": […]} (?scale ?force)
//   /v2/deployments                   GET (meso: ?embed=reasons adds why each one waits); /v2/deployments/{id} DELETE
//                                     (a rollback; ?force=true just stops it)
//   /v2/groups[/{id}]                 GET (?embed), POST, PUT, DELETE
//   /v2/queue                         GET (?embed=lastUnusedOffers); /v2/queue/{id}/delay DELETE
//   /v2/events                        GET, text/event-stream (?event_type=…)
//   /v2/info, /v2/leader, /ping       GET
// Booleans are parsed as Marathon's clients send them: `true`, `True` (Python's requests) or `1`.
// Authentication is the caller's (server.ts); this answers a request already admitted. Authorization: whatever
// decides what runs (creating, changing, scaling, restarting or removing an app, killing tasks, a rollback) needs
// the caller to be allowed run_tasks (RUN_TASK) as the app's user, since the services framework launches its tasks
// on the caller's behalf; reads need nothing beyond authentication.

import type { RequestAuthz } from '../../core/authz/request.ts'
import { readBody } from '../../core/http/body.ts'
import { currentUserName } from '../../core/posix-user.ts'
import { KvValueTooLarge } from '../builtin-frameworks/store.ts'
import { canonicalPathId, pathIdError } from './path-id.ts'
import { ServiceError, type DeploymentResult, type ServiceManager } from './service-manager.ts'
import { appJson, definitionJson, deploymentJson, groupJson, parseAppEmbeds, queueItemJson, taskJson, type AppEmbed } from './services-views.ts'
import { ValidationError } from './validation-issues.ts'
import type { AppDefinition } from './app-definition.ts'
import { TERMINAL_STATES } from './instance.ts'

/** The largest request body accepted (a group of many apps). */
export const SERVICES_BODY_LIMIT = 1024 * 1024

export interface ServicesInfo { leader: string; frameworkId: () => string; version: string; zk?: string }

const reply = (status: number, body?: unknown, headers: Record<string, string> = {}) =>
  new Response(body === undefined ? null : JSON.stringify(body), { status, headers: body === undefined ? headers : { 'Content-Type': 'application/json', ...headers } })

const flag = (url: URL, name: string, dflt = false) => {
  const v = url.searchParams.get(name)
  return v === null ? dflt : ['true', '1', 'yes', ''].includes(v.toLowerCase())
}

const deployed = (r: DeploymentResult, status = 200, headers: Record<string, string> = {}) =>
  reply(status, r, { 'Marathon-Deployment-Id': r.deploymentId, ...headers })

async function jsonBody(req: Request, path: string): Promise<unknown> {
  const body = await readBody(req, SERVICES_BODY_LIMIT, path)
  if (body instanceof Response) throw body
  try {
    return JSON.parse(new TextDecoder().decode(body))
  } catch (err) {
    throw reply(400, { message: `Invalid JSON: ${(err as Error).message}`, details: [{ path: '/', errors: ['error.invalid.json'] }] })
  }
}

/** Whether a request changes anything (read-write realm). */
export function isServicesWrite(method: string, pathname: string): boolean {
  if (pathname.endsWith('/v2/events') || pathname === '/ping') return false
  return method !== 'GET' && method !== 'HEAD'
}

function mayRun(authz: RequestAuthz, app: Pick<AppDefinition, 'id' | 'user'>): void {
  const user = app.user ?? currentUserName()
  const denied = authz.check('RUN_TASK', { taskInfo: { command: { user } } }, `run app '${app.id}' as user '${user}'`)
  if (denied) throw denied
}

function appId(raw: string): string {
  const err = pathIdError(raw)
  const id = err ? undefined : canonicalPathId(raw)
  if (!id || id === '/') throw reply(400, { message: `Invalid app id '${raw}': ${err ?? 'empty'}` })
  return id
}

export async function handleServicesRequest(m: ServiceManager, info: ServicesInfo, authz: RequestAuthz, req: Request, url: URL, remote: string): Promise<Response> {
  try {
    return await route(m, info, authz, req, url, remote)
  } catch (err) {
    if (err instanceof Response) return err
    if (err instanceof ValidationError) return reply(422, err.body())
    if (err instanceof ServiceError) return reply(err.status, err.body)
    if (err instanceof KvValueTooLarge) return reply(422, { message: 'Object is not valid', details: [{ path: '/', errors: [err.message] }] })
    throw err
  }
}

const notAllowed = (allow: string[]) => new Response(null, { status: 405, headers: { Allow: allow.join(', ') } })

async function route(m: ServiceManager, info: ServicesInfo, authz: RequestAuthz, req: Request, url: URL, remote: string): Promise<Response> {
  const path = url.pathname.replace(/^\/master/, '')
  const method = req.method === 'HEAD' ? 'GET' : req.method
  if (path === '/ping') return method === 'GET' ? new Response('pong', { headers: { 'Content-Type': 'text/plain' } }) : notAllowed(['GET'])
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent)
  const [, resource, ...rest] = parts
  const embedsOf = (dflt: AppEmbed[]) => {
    const e = parseAppEmbeds(url.searchParams.getAll('embed'))
    if (typeof e === 'string') throw reply(400, { message: e })
    for (const d of dflt) e.embeds.add(d)
    return e
  }
  switch (resource) {
    case 'info': return method === 'GET' ? reply(200, infoJson(info)) : notAllowed(['GET'])
    case 'leader': return method === 'GET' ? reply(200, { leader: info.leader }) : notAllowed(['GET'])
    case 'events': {
      if (method !== 'GET') return notAllowed(['GET'])
      return m.events.subscribe(url.searchParams.getAll('event_type').flatMap(t => t.split(',')).filter(Boolean), remote)
    }
    case 'apps': {
      const res = await apps(m, authz, req, url, method, rest, embedsOf)
      // Marathon's api_post_event: an app created, changed or removed through the API.
      if (method !== 'GET' && res.status < 300) {
        const id = rest.length ? canonicalPathId(splitAppPath(rest).id) : res.headers.get('Location')?.replace(/^\/v2\/apps/, '')
        const def = id ? m.apps.get(id) : undefined
        m.events.publish('api_post_event', { clientIp: remote.replace(/:\d+$/, ''), uri: path, appDefinition: def ? definitionJson(def) : null })
      }
      return res
    }
    case 'tasks': return tasks(m, authz, req, url, method, rest)
    case 'deployments': {
      if (!rest.length) {
        if (method !== 'GET') return notAllowed(['GET'])
        const reasons = url.searchParams.getAll('embed').flatMap(v => v.split(',')).includes('reasons')
        return reply(200, [...m.deployments.values()].map(d => deploymentJson(d, m, reasons)))
      }
      if (rest.length !== 1) return reply(404, { message: 'Not found' })
      if (method !== 'DELETE') return notAllowed(['DELETE'])
      const d = m.deployments.get(rest[0]!)
      if (!d) return reply(404, { message: `DeploymentPlan ${rest[0]} does not exist` })
      for (const def of [...Object.values(d.original), ...Object.values(d.target)]) if (def) mayRun(authz, def)
      const r = m.deleteDeployment(rest[0]!, flag(url, 'force'))
      return r ? deployed(r) : reply(202)
    }
    case 'groups': return groups(m, authz, req, url, method, rest, embedsOf)
    case 'queue': {
      if (!rest.length) {
        if (method !== 'GET') return notAllowed(['GET'])
        const withOffers = url.searchParams.getAll('embed').flatMap(v => v.split(',')).includes('lastUnusedOffers')
        const now = Date.now()
        const queue = [...m.apps.values()].flatMap(app => {
          const d = m.decide(app)
          return d.launch > 0 ? [queueItemJson(app, d.launch, m, withOffers, now)] : []
        })
        return reply(200, { queue })
      }
      if (rest[rest.length - 1] === 'delay' && rest.length >= 2) {
        if (method !== 'DELETE') return notAllowed(['DELETE'])
        const id = appId(rest.slice(0, -1).join('/'))
        mayRun(authz, m.getApp(id))
        m.resetDelay(id)
        return reply(204)
      }
      return reply(404, { message: 'Not found' })
    }
  }
  return reply(404, { message: 'Not found' })
}

function infoJson(info: ServicesInfo) {
  return {
    name: 'marathon',
    version: info.version,
    buildref: 'meso',
    elected: true,
    leader: info.leader,
    frameworkId: info.frameworkId() || null,
    marathon_config: { checkpoint: true, failover_timeout: 604800, framework_name: 'marathon', ha: Boolean(info.zk), hostname: info.leader.split(':')[0], master: info.leader, mesos_role: '*', mesos_user: currentUserName(), features: [] },
    zookeeper_config: info.zk ? { zk: info.zk } : {},
    http_config: { http_port: Number(info.leader.split(':').pop()) },
    event_subscriber: null,
  }
}

type Embeds = (dflt: AppEmbed[]) => { embeds: Set<AppEmbed>; groupApps: boolean; groupGroups: boolean }

/** Splits /v2/apps/<id…>/<sub>/<arg> (an app id has slashes, so the suffixes Marathon knows are matched from the end). */
function splitAppPath(rest: string[]): { id: string; sub?: 'restart' | 'tasks' | 'versions'; arg?: string } {
  const n = rest.length
  if (n >= 2 && rest[n - 1] === 'restart') return { id: rest.slice(0, -1).join('/'), sub: 'restart' }
  if (n >= 2 && (rest[n - 1] === 'tasks' || rest[n - 1] === 'versions')) return { id: rest.slice(0, -1).join('/'), sub: rest[n - 1] as 'tasks' | 'versions' }
  if (n >= 3 && (rest[n - 2] === 'tasks' || rest[n - 2] === 'versions')) return { id: rest.slice(0, -2).join('/'), sub: rest[n - 2] as 'tasks' | 'versions', arg: rest[n - 1]! }
  return { id: rest.join('/') }
}

async function apps(m: ServiceManager, authz: RequestAuthz, req: Request, url: URL, method: string, rest: string[], embedsOf: Embeds): Promise<Response> {
  const force = flag(url, 'force')
  if (!rest.length) {
    if (method === 'GET') {
      const { embeds } = embedsOf(['counts', 'deployments'])
      const idFilter = url.searchParams.get('id')
      const cmdFilter = url.searchParams.get('cmd')
      const label = url.searchParams.get('label')
      const list = [...m.apps.values()].sort((a, b) => (a.id < b.id ? -1 : 1)).filter(a =>
        (!idFilter || a.id.includes(idFilter)) && (!cmdFilter || (a.cmd ?? '').includes(cmdFilter)) && (!label || matchesLabel(a.labels, label)))
      return reply(200, { apps: list.map(a => appJson(a, embeds, m)) })
    }
    if (method === 'POST') {
      const raw = await jsonBody(req, '/v2/apps')
      const parsed = m.parse(raw)
      mayRun(authz, parsed)
      const { app, deployment } = m.createApp(raw, force)
      const body = appJson(app, new Set(['counts', 'deployments', 'tasks']), m)
      return reply(201, body, { Location: `/v2/apps${app.id}`, 'Marathon-Deployment-Id': deployment.deploymentId })
    }
    if (method === 'PUT' || method === 'PATCH') {
      const raw = await jsonBody(req, '/v2/apps')
      if (!Array.isArray(raw)) throw reply(422, { message: 'Object is not valid', details: [{ path: '/', errors: ['expected a JSON array of apps'] }] })
      for (const a of raw) { const id = typeof a?.id === 'string' ? appId(a.id) : undefined; const existing = id ? m.apps.get(id) : undefined; if (existing) mayRun(authz, existing) }
      const partial = method === 'PATCH' || flag(url, 'partialUpdate', true)
      for (const a of raw) mayRun(authz, { id: String(a?.id), ...(typeof a?.user === 'string' ? { user: a.user } : {}) })
      return deployed(m.putApps(raw, { force, partial }))
    }
    return notAllowed(['GET', 'POST', 'PUT', 'PATCH'])
  }
  const { id: rawId, sub, arg } = splitAppPath(rest)
  const id = appId(rawId)
  if (!sub) {
    if (method === 'GET') {
      const app = m.getApp(id)
      const { embeds } = embedsOf(['counts', 'deployments', 'tasks', 'lastTaskFailure', 'readiness'])
      return reply(200, { app: appJson(app, embeds, m) })
    }
    if (method === 'PUT' || method === 'PATCH') {
      const raw = await jsonBody(req, `/v2/apps${id}`)
      const existing = m.apps.get(id)
      if (existing) mayRun(authz, existing)
      const partial = method === 'PATCH' || flag(url, 'partialUpdate', true)
      const parsed = m.parse(raw, { pathId: id, partial })
      mayRun(authz, parsed)
      const { created, deployment } = m.putApp(id, raw, { force, partial })
      return deployed(deployment, created ? 201 : 200, created ? { Location: `/v2/apps${id}` } : {})
    }
    if (method === 'DELETE') {
      mayRun(authz, m.getApp(id))
      return deployed(m.deleteApp(id, force))
    }
    return notAllowed(['GET', 'PUT', 'PATCH', 'DELETE'])
  }
  const app = m.getApp(id)
  if (sub === 'restart') {
    if (method !== 'POST') return notAllowed(['POST'])
    mayRun(authz, app)
    return deployed(m.restartApp(id, force))
  }
  if (sub === 'versions') {
    if (method !== 'GET') return notAllowed(['GET'])
    if (arg === undefined) return reply(200, { versions: m.versionsOf(id) })
    return reply(200, appJson(m.appVersion(id, arg), new Set(), m))
  }
  // tasks
  const live = m.instancesOf(id).filter(i => !TERMINAL_STATES.has(i.state))
  if (method === 'GET') {
    if (arg !== undefined) return notAllowed(['DELETE'])
    return reply(200, { tasks: live.map(i => taskJson(i, app)) })
  }
  if (method !== 'DELETE') return notAllowed(['GET', 'DELETE'])
  mayRun(authz, app)
  const host = url.searchParams.get('host')
  const ids = arg !== undefined ? [arg] : live.filter(i => !host || i.host === host).map(i => i.taskId)
  if (arg !== undefined && !m.instances.has(arg)) return reply(404, { message: `Task '${arg}' does not exist` })
  const r = m.killTasks(ids, { scale: flag(url, 'scale'), force, wipe: flag(url, 'wipe') })
  if (r.deployment) return deployed(r.deployment)
  return arg !== undefined ? reply(200, { task: taskJson(r.killed[0]!, app) }) : reply(200, { tasks: r.killed.map(i => taskJson(i, app)) })
}

function matchesLabel(labels: Record<string, string>, selector: string): boolean {
  return selector.split(',').every(term => {
    const m = /^\s*([^=!\s]+)\s*(==|!=)\s*(.*?)\s*$/.exec(term)
    if (!m) return term.trim() in labels
    return m[2] === '==' ? labels[m[1]!] === m[3] : labels[m[1]!] !== m[3]
  })
}

async function tasks(m: ServiceManager, authz: RequestAuthz, req: Request, url: URL, method: string, rest: string[]): Promise<Response> {
  if (!rest.length) {
    if (method !== 'GET') return notAllowed(['GET'])
    const status = url.searchParams.getAll('status').map(s => `TASK_${s.toUpperCase()}`)
    const list = [...m.instances.values()].filter(i => !TERMINAL_STATES.has(i.state) && (!status.length || status.includes(i.state)))
    return reply(200, { tasks: list.map(i => taskJson(i, m.apps.get(i.appId))) })
  }
  if (rest.length === 1 && rest[0] === 'delete') {
    if (method !== 'POST') return notAllowed(['POST'])
    const body = await jsonBody(req, '/v2/tasks/delete') as { ids?: unknown }
    if (!Array.isArray(body?.ids) || !body.ids.every(x => typeof x === 'string')) throw reply(422, { message: 'Object is not valid', details: [{ path: '/ids', errors: ['expected an array of task ids'] }] })
    const ids = body.ids as string[]
    for (const t of ids) { const i = m.instances.get(t); const app = i && m.apps.get(i.appId); if (app) mayRun(authz, app) }
    const r = m.killTasks(ids, { scale: flag(url, 'scale'), force: flag(url, 'force'), wipe: flag(url, 'wipe') })
    if (r.deployment) return deployed(r.deployment)
    return reply(200, { tasks: r.killed.map(i => taskJson(i, m.apps.get(i.appId))) })
  }
  return reply(404, { message: 'Not found' })
}

async function groups(m: ServiceManager, authz: RequestAuthz, req: Request, url: URL, method: string, rest: string[], embedsOf: Embeds): Promise<Response> {
  const id = rest.length ? canonicalPathId(rest.join('/')) ?? '/' : '/'
  const force = flag(url, 'force')
  if (method === 'GET') {
    if (!m.groupIds().includes(id)) return reply(404, { message: `Group '${id}' does not exist` })
    const { embeds } = embedsOf(['counts', 'deployments'])
    return reply(200, groupJson(id, m, embeds, new Date().toISOString()))
  }
  if (method === 'DELETE') {
    for (const a of m.apps.values()) if (a.id.startsWith(id === '/' ? '/' : id + '/')) mayRun(authz, a)
    return deployed(m.deleteGroup(id, force))
  }
  if (method !== 'POST' && method !== 'PUT' && method !== 'PATCH') return notAllowed(['GET', 'POST', 'PUT', 'PATCH', 'DELETE'])
  const body = await jsonBody(req, '/v2/groups') as Record<string, any>
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw reply(422, { message: 'Object is not valid', details: [{ path: '/', errors: ['expected a group object'] }] })
  const groupId = typeof body.id === 'string' ? canonicalPathId(body.id, id) : id
  if (!groupId) throw reply(422, { message: 'Object is not valid', details: [{ path: '/id', errors: ['the id leaves the root group'] }] })
  if (method === 'POST' && m.groupIds().includes(groupId) && groupId !== '/') throw new ServiceError(409, { message: `Group ${groupId} is already created. Use PUT to change this group.` })
  // The apps of the body and of its subgroups, ids resolved against their group.
  const target: Record<string, AppDefinition | null> = {}
  const version = new Date().toISOString()
  const seen = new Set<string>()
  const collect = (g: Record<string, any>, gid: string) => {
    m.createGroup(gid)
    for (const a of Array.isArray(g.apps) ? g.apps : []) {
      const raw = typeof a?.id === 'string' ? a.id : undefined
      const resolved = raw ? canonicalPathId(raw, gid) : undefined
      const app = m.parse(a, { base: gid, version, ...(resolved && m.apps.has(resolved) ? { pathId: resolved, partial: method === 'PATCH' } : {}) })
      mayRun(authz, app)
      target[app.id] = app
      seen.add(app.id)
    }
    for (const sub of Array.isArray(g.groups) ? g.groups : []) {
      const sid = typeof sub?.id === 'string' ? canonicalPathId(sub.id, gid) : undefined
      if (!sid) throw reply(422, { message: 'Object is not valid', details: [{ path: '/groups', errors: ['every group needs an id'] }] })
      collect(sub, sid)
    }
  }
  collect(body, groupId)
  // A PUT replaces the group: its apps that the body leaves out are removed, as Marathon does.
  if (method === 'PUT') for (const a of m.apps.values()) if (a.id.startsWith(groupId === '/' ? '/' : groupId + '/') && !seen.has(a.id)) { mayRun(authz, a); target[a.id] = null }
  const r = m.deploy(target, force)
  return deployed(r, method === 'POST' ? 201 : 200, method === 'POST' ? { Location: `/v2/groups${groupId}` } : {})
}
