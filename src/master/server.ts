// Starts a master: binds the HTTP server (scheduler API, operator API, v0 endpoints, /files, the agent link) and
// wires authentication classes to endpoints as Mesos does.

import { homedir, hostname as osHostname } from 'node:os'
import { join } from 'node:path'
import { AGENT_PROTOCOL_PATH } from '../core/agent-protocol.ts'
import { basicAuth, parseCredentials, type Credentials } from '../core/auth.ts'
import { FileServer, LogBuffer } from '../core/files.ts'
import { Router } from '../core/http/router.ts'
import { badRequest, json, text, unauthorized } from '../core/http/responses.ts'
import { logger, onLogLine } from '../core/log.ts'
import { newUuid } from '../core/ids.ts'
import { versionInfo } from '../core/version.ts'
import { agentWebSocketHandlers, type LinkData } from './agent-link.ts'
import { JsonStream } from './json-stream.ts'
import type { MasterFlags } from './flags.ts'
import { Master } from './master.ts'
import { masterInfo } from './master-info.ts'
import { masterMetrics } from './metrics-snapshot.ts'
import { OperatorEvents } from './operator-events.ts'
import { handleMasterOperatorCall, MASTER_WRITE_CALLS } from './operator-api.ts'
import { Registrar } from './registrar.ts'
import { MasterRuntime } from './runtime.ts'
import { handleSchedulerCall } from './scheduler-api.ts'
import { frameworkV0, rolesV0, slaveV0, stateSummaryV0, stateV0, tasksV0 } from './views-v0.ts'

const log = logger('master')

export interface RunningMaster {
  master: Master
  server: import('bun').Server<LinkData>
  url: string
  stop(): Promise<void>
}

/**
 * A v0 JSON answer whose long task lists are written in slices (json-stream.ts); small answers go through `json`
 * unchanged. The `?jsonp=` rule is `json`'s own.
 */
function streamedJson(req: Request, build: (js: JsonStream) => unknown): Response {
  const js = new JsonStream()
  const doc = build(js)
  if (!js.streaming) return json(doc, req)
  const jsonp = new URL(req.url).searchParams.get('jsonp')
  if (jsonp && /^[A-Za-z_$][\w$.]*$/.test(jsonp)) return js.response(doc, { 'Content-Type': 'text/javascript' }, { before: `${jsonp}(`, after: ');' })
  return js.response(doc, { 'Content-Type': 'application/json' })
}

export function defaultMasterWorkDir(): string {
  return process.getuid?.() === 0 ? '/var/lib/meso/master' : join(homedir(), '.meso', 'master')
}

export async function startMaster(flags: MasterFlags, flagStrings: { name: string; value: string }[]): Promise<RunningMaster> {
  const credentials: Credentials | undefined = parseCredentials(flags.credentials)
  const needsCreds = flags.authenticate_http_readonly || flags.authenticate_http_readwrite || flags.authenticate_http_frameworks || flags.authenticate_agents
  if (needsCreds && !credentials) throw new Error('HTTP authentication is enabled but no --credentials were given')
  const workDir = flags.work_dir ?? defaultMasterWorkDir()
  const files = new FileServer()
  const logBuffer = new LogBuffer()
  onLogLine(line => logBuffer.append(line))
  files.attachMemory('/master/log', logBuffer)

  let master!: Master
  const events = new OperatorEvents()
  const router = new Router('master')

  /** undefined = allowed (principal possibly undefined); Response = reject. */
  const authenticate = (req: Request, enabled: boolean, realm: string): { principal?: string } | Response => {
    if (!enabled || !credentials) {
      // Even when not required, a valid principal is remembered (frameworks' principal checks use it).
      if (credentials && req.headers.has('authorization')) {
        const r = basicAuth(req, credentials)
        return r.ok ? { principal: r.principal } : {}
      }
      return {}
    }
    const r = basicAuth(req, credentials)
    if (!r.ok) return unauthorized(realm, req.headers.has('authorization') ? 'Invalid credentials' : 'Authentication required')
    return { principal: r.principal }
  }
  const readonly = (h: (req: Request, url: URL) => Response | Promise<Response>) => (req: Request, url: URL) => {
    const a = authenticate(req, flags.authenticate_http_readonly, 'mesos-master-readonly')
    return a instanceof Response ? a : h(req, url)
  }

  router.on(null, '/api/v1/scheduler', async req => {
    const a = authenticate(req, flags.authenticate_http_frameworks, 'mesos-master-scheduler')
    if (a instanceof Response) return a
    return handleSchedulerCall(master, req, flags.authenticate_http_frameworks ? a.principal : undefined)
  })
  router.on(null, '/api/v1', async req => {
    // Read-only calls use the read-only realm, the rest read-write; peek at the type without consuming the body.
    const clone = req.clone()
    let type = ''
    try { type = (JSON.parse(await clone.text()) as any)?.type ?? '' } catch { /* parsed again below with a proper error */ }
    const write = MASTER_WRITE_CALLS.has(type)
    const a = authenticate(req, write ? flags.authenticate_http_readwrite : (flags.authenticate_http_readonly || flags.authenticate_http_readwrite), write ? 'mesos-master-readwrite' : 'mesos-master-readonly')
    if (a instanceof Response) return a
    return handleMasterOperatorCall({ master, events, files }, req)
  })
  const state = readonly(req => streamedJson(req, js => stateV0(master.state, js)))
  for (const p of ['/state', '/state.json']) router.get(p, state)
  router.get('/state-summary', readonly(req => json(stateSummaryV0(master.state), req)))
  router.get('/slaves', readonly((req, url) => {
    const id = url.searchParams.get('slave_id')
    const s = master.state
    const agents = [...s.agents.values()].filter(a => a.state !== 'recovered' && (!id || a.id === id))
    return json({ slaves: agents.map(a => slaveV0(s, a, true)), recovered_slaves: [...s.agents.values()].filter(a => a.state === 'recovered').map(a => a.info) }, req)
  }))
  router.get('/frameworks', readonly((req, url) => {
    const id = url.searchParams.get('framework_id')
    const s = master.state
    return streamedJson(req, js => ({
      frameworks: [...s.frameworks.values()].filter(f => !id || f.id === id).map(f => frameworkV0(s, f, js)),
      completed_frameworks: s.completedFrameworks.filter(f => !id || f.id === id).map(f => frameworkV0(s, f, js)),
      unregistered_frameworks: [],
    }))
  }))
  for (const p of ['/tasks', '/tasks.json']) router.get(p, readonly((req, url) => json(tasksV0(master.state, url.searchParams), req)))
  for (const p of ['/roles', '/roles.json']) router.get(p, readonly(req => json(rolesV0(master.state), req)))
  router.get('/weights', readonly(req => json(Object.entries(master.state.weights).map(([role, weight]) => ({ role, weight })), req)))
  router.get('/flags', readonly(req => json({ flags: Object.fromEntries(master.state.flagStrings.map(f => [f.name, f.value])) }, req)))
  router.get('/health', () => new Response(null, { status: 200 }))
  router.get('/redirect', () => new Response(null, { status: 307, headers: { Location: `//${master.info.hostname}:${master.info.port}` } }))
  router.get('/version', req => json(versionInfo(), req))
  router.get('/metrics/snapshot', readonly(req => json(masterMetrics(master.state, events.count), req)))
  router.post('/teardown', async req => {
    const a = authenticate(req, flags.authenticate_http_readwrite, 'mesos-master-readwrite')
    if (a instanceof Response) return a
    const id = new URLSearchParams(await req.text()).get('frameworkId')
    if (!id) return badRequest("Missing 'frameworkId' query parameter in the request body")
    const fw = master.state.findFramework(id)
    if (!fw) return badRequest(`No framework found with specified ID ${id}`)
    master.teardown(fw)
    return new Response(null, { status: 200 })
  })
  // meso extension (the Mesos operator API has no task kill): ask a task's agent to kill it, as its framework would.
  router.post('/api/meso/v1/kill_task', async req => {
    const a = authenticate(req, flags.authenticate_http_readwrite, 'mesos-master-readwrite')
    if (a instanceof Response) return a
    let body: any
    try { body = await req.json() } catch { return badRequest('Expecting a JSON body {"framework_id": …, "task_id": …}') }
    const fw = typeof body?.framework_id === 'string' ? master.state.findFramework(body.framework_id) : undefined
    if (!fw) return text(404, `No active framework with id '${body?.framework_id}'`)
    if (typeof body.task_id !== 'string' || !fw.tasks.has(body.task_id)) return text(404, `Framework ${fw.id} has no active task '${body?.task_id}'`)
    master.kill(fw, body.task_id, undefined, body.grace_period_seconds !== undefined ? { grace_period: { nanoseconds: Math.round(Number(body.grace_period_seconds) * 1e9) } } : undefined)
    return new Response(null, { status: 202 })
  })
  for (const op of ['browse', 'read', 'download', 'debug']) {
    for (const suffix of ['', '.json']) router.get(`/files/${op}${suffix}`, readonly((req, url) => files.handle(req, url)))
  }

  const server = Bun.serve<LinkData>({
    hostname: flags.ip,
    port: flags.port,
    idleTimeout: 0,
    async fetch(req, srv) {
      const url = new URL(req.url)
      if (url.pathname === AGENT_PROTOCOL_PATH) {
        if (flags.authenticate_agents) {
          const r = credentials ? basicAuth(req, credentials) : { ok: false as const }
          if (!r.ok) return unauthorized('mesos-master-agent', 'Agent authentication failed')
        }
        const remote = srv.requestIP(req)
        if (srv.upgrade(req, { data: { remote: remote ? `${remote.address}:${remote.port}` : '?' } })) return undefined as unknown as Response
        return badRequest('Expected a WebSocket upgrade')
      }
      try {
        return (await router.handle(req, srv)) ?? text(404, '')
      } catch (err) {
        log.error(`Error handling ${req.method} ${url.pathname}: ${(err as Error).stack ?? err}`)
        return text(500, `Internal error: ${(err as Error).message}`)
      }
    },
    websocket: agentWebSocketHandlers(() => master) as any,
  })
  const boundPort = server.port!
  const registrarPath = flags.registry === 'in_memory' ? undefined : join(workDir, 'registry.db')
  const registrar = Registrar.open(registrarPath)
  const runtime = new MasterRuntime(registrar, events)
  const advertiseIp = flags.advertise_ip ?? (flags.ip === '0.0.0.0' ? '127.0.0.1' : flags.ip)
  const info = masterInfo(newUuid(), flags.hostname ?? osHostname(), advertiseIp, flags.advertise_port ?? boundPort)
  master = new Master({ info, flags, flagStrings, recovered: registrar.snapshot(), runner: runtime })
  master.start()
  const url = `http://${info.address!.ip}:${boundPort}`
  log.info(`Master ${master.id} listening on ${flags.ip}:${boundPort} (registrar: ${registrarPath ?? 'in memory'})`)
  return {
    master, server, url,
    async stop() { runtime.stop(master.state); server.stop(true) },
  }
}
