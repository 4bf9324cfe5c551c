// Starts a master: binds the HTTP server (scheduler API, operator API, v0 endpoints, /files, the agent link) and
// wires authentication classes to endpoints and the local authorizer (--acls) to what each endpoint does, as Mesos
// does (docs/security-auth.md).

import { hostname as osHostname } from 'node:os'
import { join } from 'node:path'
import { AGENT_PROTOCOL_PATH } from '../core/agent-protocol.ts'
import { basicAuth, describeSubject, guard, newSecret, parseCredentials, type Authenticators, type Credentials } from '../core/auth.ts'
import { aclsFromFlag } from '../core/authz/acls.ts'
import { authorized, type Subject } from '../core/authz/authorizer.ts'
import { RequestAuthz } from '../core/authz/request.ts'
import { FileServer, LogBuffer } from '../core/files.ts'
import { Router } from '../core/http/router.ts'
import { compressResponse } from '../core/http/compression.ts'
import { writeMetricsSnapshot, writeVersion } from '../core/json/v0-json.ts'
import { serveOptions } from '../core/http/server-limits.ts'
import { badRequest, json, text, unauthorized } from '../core/http/responses.ts'
import { logger, onLogLine } from '../core/log.ts'
import { newUuid } from '../core/ids.ts'
import { mesoStateDir } from '../core/state-dir.ts'
import { httpScheme, serverTls } from '../core/tls.ts'
import { versionInfo } from '../core/version.ts'
import { agentWebSocketHandlers, type LinkData } from './agent-link.ts'
import { JsonStream } from './json-stream.ts'
import type { MasterFlags } from './flags.ts'
import { Master } from './master.ts'
import { masterInfo } from './master-info.ts'
import { masterMetrics, masterPrometheus, standbyPrometheus } from './metrics-snapshot.ts'
import { OperatorEvents } from './operator-events.ts'
import { handleMasterOperatorCall, MASTER_WRITE_CALLS, masterFileAction } from './operator-api.ts'
import { contend, type HighAvailability } from './ha/leadership.ts'
import { MasterGroupReader, standaloneView } from './ha/masters-view.ts'
import { standbyAnswer } from './ha/standby.ts'
import { Registrar, type RegistrarSnapshot, type RegistrarStore } from './registrar.ts'
import type { MasterInfo } from '../core/v1/messages.ts'
import { MasterRuntime } from './runtime.ts'
import { handleV0Operation, V0_OPERATION_ENDPOINTS } from './operations/operator-http.ts'
import { handleSchedulerCall } from './scheduler-api.ts'
import { handleSecretsCall } from './secrets-api.ts'
import { handleQuotaV0 } from './quota/handler.ts'
import { serveUi } from './ui-assets.ts'
import { AGENT_FILES_OPS, relayAgentFiles } from './ui-agent-files.ts'
import { SecretStore } from './secret-store.ts'
import { loadSecretKey } from '../core/secrets/crypto.ts'
import { decodeBody } from '../core/v1/codec.ts'
import { KvArea } from './builtin-frameworks/store.ts'
import { handleJobsRequest, isJobsWrite } from './jobs/jobs-api.ts'
import { JOBS_PRINCIPAL, startJobs, type RunningJobs } from './jobs/start-jobs.ts'
import { handleServicesRequest, isServicesWrite } from './services/services-api.ts'
import { SERVICES_PRINCIPAL, startServices, type RunningServices } from './services/start-services.ts'
import {
  frameworkListV0, rolesV0, slavesV0, stateSummaryV0, stateV0, tasksV0,
  writeFrameworksV0, writeRolesV0, writeSlavesV0, writeStateSummaryV0, writeStateV0, writeTasksV0, writeWeightsV0,
} from './views-v0.ts'
import { machineModeV0, maintenanceScheduleV0, maintenanceStatusV0 } from './maintenance/v0-endpoints.ts'
import { startMasterDns } from './dns/service.ts'
import { VipRange } from './vips/vip-allocation.ts'
import { vipRecords } from './vips/vip-records.ts'
import { VipService, vipsView } from './vips/vip-service.ts'

const log = logger('master')

export interface RunningMaster {
  /** The master, once this process leads (at once without --zk). */
  readonly master: Master | undefined
  server: import('bun').Server<LinkData>
  url: string
  /** The DNS service, with --dns (src/master/dns/service.ts). */
  readonly dns?: import('./dns/service.ts').MasterDns
  stop(): Promise<void>
}

/**
 * A v0 JSON answer whose long task lists are written in slices (json-stream.ts); small answers go through `json`
 * unchanged. The `?jsonp=` rule is `json`'s own. Gzip-encoded for clients that accept it (core/http/compression.ts).
 */
function streamedJson(req: Request, encode: (doc: unknown) => string, build: (js: JsonStream) => unknown): Promise<Response> {
  const js = new JsonStream(encode)
  const doc = build(js)
  if (!js.streaming) return compressResponse(req, json(doc, req, 200, encode))
  const jsonp = new URL(req.url).searchParams.get('jsonp')
  if (jsonp && /^[A-Za-z_$][\w$.]*$/.test(jsonp)) return compressResponse(req, js.response(doc, { 'Content-Type': 'text/javascript' }, { before: `${jsonp}(`, after: ');' }))
  return compressResponse(req, js.response(doc, { 'Content-Type': 'application/json' }))
}

export function defaultMasterWorkDir(): string {
  return join(mesoStateDir(), 'master')
}

/** The type of a v1 operator call without consuming the request (JSON or protobuf); '' when it does not parse. */
async function peekCallType(req: Request): Promise<string> {
  try {
    const bytes = new Uint8Array(await req.clone().arrayBuffer())
    const protobuf = (req.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase() === 'application/x-protobuf'
    const call = decodeBody('mesos.v1.master.Call', protobuf ? 'protobuf' : 'json', bytes) as { type?: unknown }
    return typeof call.type === 'string' ? call.type : ''
  } catch { return '' /* parsed again by the handler, which answers with the proper error */ }
}

export async function startMaster(flags: MasterFlags, flagStrings: { name: string; value: string }[]): Promise<RunningMaster> {
  const credentials: Credentials | undefined = parseCredentials(flags.credentials)
  // The jobs framework runs in this process: with framework authentication on it gets a credential of its own,
  // generated here and never written anywhere, unless the operator's --credentials name its principal.
  const jobsCredential = flags.jobs && (flags.authenticate_http_frameworks || flags.authenticate_frameworks) && credentials
    ? { principal: JOBS_PRINCIPAL, secret: credentials.get(JOBS_PRINCIPAL) ?? newSecret() } : undefined
  if (jobsCredential) credentials!.set(jobsCredential.principal, jobsCredential.secret)
  // Likewise the services framework (src/master/services/).
  const servicesCredential = flags.services && (flags.authenticate_http_frameworks || flags.authenticate_frameworks) && credentials
    ? { principal: SERVICES_PRINCIPAL, secret: credentials.get(SERVICES_PRINCIPAL) ?? newSecret() } : undefined
  if (servicesCredential) credentials!.set(servicesCredential.principal, servicesCredential.secret)
  const authenticateFrameworks = flags.authenticate_http_frameworks || flags.authenticate_frameworks
  const needsCreds = flags.authenticate_http_readonly || flags.authenticate_http_readwrite || authenticateFrameworks || flags.authenticate_agents
  if (needsCreds && !credentials) throw new Error('HTTP authentication is enabled but no --credentials were given')
  const acls = aclsFromFlag(flags.acls)
  const authn: Authenticators = { credentials }
  const workDir = flags.work_dir ?? defaultMasterWorkDir()
  // Opened before anything is served, so a bad --secret_key_file stops the master at start.
  // With --zk the store is in memory here and replicated through the registrar in ZooKeeper (sealed records), so
  // every master must seal with the same key: --secret_key_file (a per-master generated key only works until a
  // failover, which is said at start).
  const secrets = flags.zk
    ? SecretStore.open(undefined, flags.secret_key_file ?? haSecretKeyFile(workDir))
    : SecretStore.open(flags.registry === 'in_memory' ? undefined : workDir, flags.secret_key_file)
  const files = new FileServer()
  const logBuffer = new LogBuffer()
  onLogLine(line => logBuffer.append(line))
  files.attachMemory('/master/log', logBuffer)

  // Assigned once this process leads; until then (a standby, with --zk) `fetch` answers before any handler runs.
  let master!: Master
  let leading = false
  let leader: MasterInfo | undefined
  const startedAt = Date.now()
  const events = new OperatorEvents()
  const router = new Router('master')
  let jobs: RunningJobs | undefined
  let vips: VipService | undefined
  let services: RunningServices | undefined
  /** HTTP requests being handled: master/event_queue_http_requests. */
  let httpInFlight = 0

  /** The caller of a read-only (v0) endpoint, authenticated in the read-only realm, with its authorization. */
  const readonly = (h: (req: Request, url: URL, authz: RequestAuthz) => Response | Promise<Response>) => (req: Request, url: URL) => {
    const a = guard(req, authn, flags.authenticate_http_readonly, 'mesos-master-readonly')
    return a instanceof Response ? a : h(req, url, new RequestAuthz(acls, a.subject))
  }
  /** GET_ENDPOINT_WITH_PATH for the endpoints upstream lists in AUTHORIZABLE_ENDPOINTS. */
  const endpoint = (path: string, h: (req: Request, url: URL, authz: RequestAuthz) => Response | Promise<Response>) =>
    readonly((req, url, authz) => authz.check('GET_ENDPOINT_WITH_PATH', { value: path }, `GET '${path}'`) ?? h(req, url, authz))

  router.on(null, '/api/v1/scheduler', async req => {
    const a = guard(req, authn, authenticateFrameworks, 'mesos-master-scheduler')
    if (a instanceof Response) return a
    return handleSchedulerCall(master, req, authenticateFrameworks ? a.subject?.value : undefined, acls, secrets)
  })
  router.on(null, '/api/v1', async req => {
    // Read-only calls use the read-only realm, the rest read-write; peek at the type without consuming the body.
    const write = MASTER_WRITE_CALLS.has(await peekCallType(req))
    const a = guard(req, authn, write ? flags.authenticate_http_readwrite : (flags.authenticate_http_readonly || flags.authenticate_http_readwrite), write ? 'mesos-master-readwrite' : 'mesos-master-readonly')
    if (a instanceof Response) return a
    // Large answers (GET_STATE, GET_TASKS, …) gzip-encoded for clients that accept it; event streams never.
    return compressResponse(req, await handleMasterOperatorCall({ master, events, files, authz: new RequestAuthz(acls, a.subject) }, req))
  })
  const state = readonly((req, _url, authz) => streamedJson(req, writeStateV0, js => stateV0(master.state, js, authz.viewer())))
  for (const p of ['/state', '/state.json']) router.get(p, state)
  router.get('/state-summary', readonly((req, _url, authz) => compressResponse(req, json(stateSummaryV0(master.state, authz.viewer()), req, 200, writeStateSummaryV0))))
  router.get('/slaves', readonly((req, url, authz) =>
    compressResponse(req, json(slavesV0(master.state, url.searchParams.get('slave_id'), authz.viewer()), req, 200, writeSlavesV0))))
  router.get('/frameworks', readonly((req, url, authz) => {
    const id = url.searchParams.get('framework_id')
    const s = master.state
    const viewer = authz.viewer()
    const shown = (f: { id: string; info: { user?: string } }) => (!id || f.id === id) && (!viewer || viewer.framework(f.info))
    return streamedJson(req, writeFrameworksV0, js => ({
      frameworks: frameworkListV0(s, [...s.frameworks.values()].filter(shown), js, viewer),
      completed_frameworks: frameworkListV0(s, s.completedFrameworks.filter(shown), js, viewer),
      unregistered_frameworks: [],
    }))
  }))
  for (const p of ['/tasks', '/tasks.json']) router.get(p, readonly((req, url, authz) => compressResponse(req, json(tasksV0(master.state, url.searchParams, authz.viewer()), req, 200, writeTasksV0))))
  for (const p of ['/roles', '/roles.json']) router.get(p, readonly((req, _url, authz) => json(rolesV0(master.state, authz.viewer()), req, 200, writeRolesV0)))
  router.get('/weights', readonly((req, _url, authz) => {
    const viewer = authz.viewer()
    return json(Object.entries(master.state.weights).filter(([role]) => !viewer || viewer.role(role)).map(([role, weight]) => ({ role, weight })), req, 200, writeWeightsV0)
  }))
  // Quota (src/master/quota/handler.ts): GET the status, POST a QuotaRequest, DELETE /master/quota/<role>; the
  // read-write realm for all three, as upstream routes it.
  router.on(['GET', 'POST', 'DELETE'], '/quota', async (req, url) => {
    const a = guard(req, authn, flags.authenticate_http_readwrite, 'mesos-master-readwrite')
    if (a instanceof Response) return a
    return handleQuotaV0(master, new RequestAuthz(acls, a.subject), req, url)
  })
  router.get('/flags', readonly((req, _url, authz) => authz.check('VIEW_FLAGS', undefined, 'view the flags') ??
    json({ flags: Object.fromEntries(flagStrings.map(f => [f.name, f.value])) }, req)))
  router.get('/health', () => new Response(null, { status: 200 }))
  // Anything below /redirect is a 404, not a redirect (upstream Master::Http::redirect: it prevents loops).
  router.get('/redirect', (_req, url) => /^(\/master)?\/redirect\/?$/.test(url.pathname)
    ? new Response(null, { status: 307, headers: { Location: `//${master.info.hostname}:${master.info.port}` } })
    : new Response(null, { status: 404 }))
  router.get('/version', req => json(versionInfo(), req, 200, writeVersion))
  router.get('/metrics/snapshot', endpoint('/metrics/snapshot', req => json(masterMetrics(master.state, events.count), req, 200, writeMetricsSnapshot)))
  // Prometheus text format (docs/metrics.md); authorized as /metrics/snapshot, whose values it carries.
  router.get('/metrics', endpoint('/metrics/snapshot', () => masterPrometheus(master.state, { subscribers: events.count })))
  router.post('/teardown', async req => {
    const a = guard(req, authn, flags.authenticate_http_readwrite, 'mesos-master-readwrite')
    if (a instanceof Response) return a
    const id = new URLSearchParams(await req.text()).get('frameworkId')
    if (!id) return badRequest("Missing 'frameworkId' query parameter in the request body")
    const fw = master.state.findFramework(id)
    if (!fw) return badRequest(`No framework found with specified ID ${id}`)
    const denied = new RequestAuthz(acls, a.subject).check('TEARDOWN_FRAMEWORK', { frameworkInfo: fw.info }, `tear down framework ${fw.id}`)
    if (denied) return denied
    master.teardown(fw)
    return new Response(null, { status: 200 })
  })
  // Reservations and volumes by an operator, v0 (src/master/operations/operator-http.ts; docs/resources.md).
  for (const endpoint of V0_OPERATION_ENDPOINTS) {
    router.post(`/${endpoint}`, async req => {
      const a = guard(req, authn, flags.authenticate_http_readwrite, 'mesos-master-readwrite')
      if (a instanceof Response) return a
      return handleV0Operation(master, endpoint, req, new RequestAuthz(acls, a.subject))
    })
  }
  // Maintenance (src/master/maintenance/, docs/maintenance.md): the realms upstream routes them with.
  const readwrite = (h: (req: Request, authz: RequestAuthz) => Response | Promise<Response>) => (req: Request) => {
    const a = guard(req, authn, flags.authenticate_http_readwrite, 'mesos-master-readwrite')
    return a instanceof Response ? a : h(req, new RequestAuthz(acls, a.subject))
  }
  router.on(null, '/maintenance/schedule', readwrite((req, authz) => maintenanceScheduleV0(master, req, authz)))
  router.on(null, '/maintenance/status', readonly((req, _url, authz) => maintenanceStatusV0(master, req, authz)))
  router.on(null, '/machine/down', readwrite((req, authz) => machineModeV0(master, req, authz, 'down')))
  router.on(null, '/machine/up', readwrite((req, authz) => machineModeV0(master, req, authz, 'up')))
  // meso extension (the Mesos operator API has no task kill): ask a task's agent to kill it, as its framework would.
  // Killing one task of a framework is a part of tearing it down: the caller needs teardown_frameworks over the
  // framework's principal (docs/security-auth.md).
  router.post('/api/meso/v1/kill_task', async req => {
    const a = guard(req, authn, flags.authenticate_http_readwrite, 'mesos-master-readwrite')
    if (a instanceof Response) return a
    let body: any
    try { body = await req.json() } catch { return badRequest('Expecting a JSON body {"framework_id": …, "task_id": …}') }
    const fw = typeof body?.framework_id === 'string' ? master.state.findFramework(body.framework_id) : undefined
    if (!fw) return text(404, `No active framework with id '${body?.framework_id}'`)
    const denied = new RequestAuthz(acls, a.subject).check('TEARDOWN_FRAMEWORK', { frameworkInfo: fw.info }, `kill tasks of framework ${fw.id}`)
    if (denied) return denied
    if (typeof body.task_id !== 'string' || !fw.tasks.has(body.task_id)) return text(404, `Framework ${fw.id} has no active task '${body?.task_id}'`)
    master.kill(fw, body.task_id, undefined, body.grace_period_seconds !== undefined ? { grace_period: { nanoseconds: Math.round(Number(body.grace_period_seconds) * 1e9) } } : undefined)
    return new Response(null, { status: 202 })
  })
  // meso's secret store (docs/security-secrets.md): create/update, list (paths and times, never values), remove;
  // the read-write realm, and create_secrets / view_secrets / delete_secrets per path.
  router.on(['GET', 'POST', 'DELETE'], '/api/meso/v1/secrets', async (req, url) => {
    const a = guard(req, authn, flags.authenticate_http_readwrite, 'mesos-master-readwrite')
    if (a instanceof Response) return a
    return handleSecretsCall(secrets, new RequestAuthz(acls, a.subject), req, url)
  })
  for (const op of ['browse', 'read', 'download']) {
    // The master's log needs access_mesos_logs (upstream Files::attach with authorizeLogAccess).
    for (const suffix of ['', '.json']) router.get(`/files/${op}${suffix}`, readonly((req, url, authz) => {
      const path = url.searchParams.get('path')
      const action = path ? masterFileAction(path) : undefined
      return (action && authz.check(action, undefined, `access '${path}'`)) || files.handle(req, url)
    }))
  }
  for (const suffix of ['', '.json']) router.get(`/files/debug${suffix}`, endpoint('/files/debug', (req, url) => files.handle(req, url)))
  // The jobs scheduler's Metronome API (src/master/jobs/, docs/jobs.md): reads in the read-only realm, the rest in
  // the read-write realm.
  if (flags.jobs) {
    for (const path of ['/v1/jobs', '/v1/pipelines']) {
      router.on(['GET', 'HEAD', 'POST', 'PUT', 'DELETE'], path, async (req, url) => {
        const write = isJobsWrite(req.method)
        const a = guard(req, authn, write ? flags.authenticate_http_readwrite : (flags.authenticate_http_readonly || flags.authenticate_http_readwrite), write ? 'mesos-master-readwrite' : 'mesos-master-readonly')
        if (a instanceof Response) return a
        if (!jobs) return text(503, 'The jobs scheduler is starting')
        return handleJobsRequest(jobs.service, new RequestAuthz(acls, a.subject), req, url)
      })
    }
  }
  // The services scheduler's Marathon API (src/master/services/, docs/services.md): reads and the event stream in the
  // read-only realm, the rest in the read-write realm.
  if (flags.services) {
    for (const path of ['/v2', '/ping']) {
      router.on(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'], path, async (req, url, srv) => {
        const write = isServicesWrite(req.method, url.pathname)
        const a = guard(req, authn, write ? flags.authenticate_http_readwrite : (flags.authenticate_http_readonly || flags.authenticate_http_readwrite), write ? 'mesos-master-readwrite' : 'mesos-master-readonly')
        if (a instanceof Response) return a
        if (!services) return text(503, 'The services scheduler is starting')
        const ip = (srv as { requestIP?: (r: Request) => { address: string; port: number } | null } | undefined)?.requestIP?.(req)
        return handleServicesRequest(services.manager, { leader: `${info.address!.ip}:${info.address!.port}`, frameworkId: () => services?.frameworkId() ?? '', version: '1.11.0', ...(flags.zk ? { zk: flags.zk } : {}) }, new RequestAuthz(acls, a.subject), req, url, ip ? `${ip.address}:${ip.port}` : 'unknown')
      })
    }
  }
  // The web UI (src/master/ui-assets.ts, docs/ui.md): public static files at `/` and /assets/, and the relay to the
  // agents' files API that its sandbox pages use (ui-agent-files.ts; the agent authenticates the caller).
  for (const p of ['/', '/index.html', '/assets']) router.on(['GET', 'HEAD'], p, (req, url) => serveUi(req, url))
  for (const op of AGENT_FILES_OPS) router.on(['GET'], `/api/meso/v1/agent_files/${op}`, readonly((req, url) => relayAgentFiles(master, op, req, url)))
  // DNS service discovery (--dns; src/master/dns/, docs/discovery.md): bound before HTTP so a taken port fails the start.
  const dns = flags.dns ? await startMasterDns(flags, flags.advertise_ip ?? (flags.ip === '0.0.0.0' ? '127.0.0.1' : flags.ip)) : undefined
  // meso extension: where the DNS answers and what it holds (`meso dns lookup` finds the port here).
  router.get('/api/meso/v1/dns', readonly(req => json(dns ? dns.info() : { enabled: false }, req)))
  // meso extension: the VIP table, every VIP with its backends and their health (`meso vip list`); backends of
  // frameworks the caller may not view are left out.
  router.get('/api/meso/v1/vips', readonly((req, _url, authz) => json(vipsView(master, vips!, authz.viewer()), req)))
  // meso extension: the masters and which one leads (src/master/ha/masters-view.ts; the web UI's overview shows it).
  const mastersReader = flags.zk ? new MasterGroupReader(flags.zk, flags.zk_session_timeout) : undefined
  router.get('/api/meso/v1/masters', readonly(async req => {
    try {
      return json(mastersReader ? await mastersReader.read() : standaloneView(info), req)
    } catch (err) {
      return text(503, `Could not read the masters' group: ${(err as Error).message}`)
    }
  }))

  const server = Bun.serve<LinkData>({
    hostname: flags.ip,
    port: flags.port,
    tls: serverTls(), // LIBPROCESS_SSL_*: TLS only, no plain HTTP on this port (docs/security-tls.md)
    ...serveOptions('master', flags), // idle timeout and body limits: src/core/http/server-limits.ts, docs/security-input.md
    async fetch(req, srv) {
      const url = new URL(req.url)
      if (!leading) {
        // A standby's own numbers, as its /metrics/snapshot gives them: a redirect would have Prometheus record the
        // leader's values under this instance.
        if (url.pathname === '/metrics' || url.pathname === '/master/metrics') return standbyPrometheus(startedAt)
        const callType = url.pathname.endsWith('/api/v1') ? await smallCallType(req) : ''
        const answer = standbyAnswer(req, url, leader, startedAt, callType)
        if (answer) return answer
      }
      if (url.pathname === AGENT_PROTOCOL_PATH) {
        let agentSubject: Subject | undefined
        if (credentials && req.headers.has('authorization')) {
          const r = basicAuth(req, credentials)
          if (r.ok) agentSubject = { value: r.principal }
        }
        if (flags.authenticate_agents && !agentSubject) return unauthorized('mesos-master-agent', 'Agent authentication failed')
        // register_agents (upstream Master::authorizeSlave); the agent retries, as a refused Mesos agent does.
        if (!authorized(acls, { action: 'REGISTER_AGENT', subject: agentSubject })) {
          log.warn(`Refused an agent link from ${describeSubject(agentSubject)}: not authorized to register agents`)
          return text(403, `${describeSubject(agentSubject)} is not authorized to register agents`)
        }
        const remote = srv.requestIP(req)
        if (srv.upgrade(req, { data: { remote: remote ? `${remote.address}:${remote.port}` : '?' } })) return undefined as unknown as Response
        return badRequest('Expected a WebSocket upgrade')
      }
      httpInFlight++
      try {
        return (await router.handle(req, srv)) ?? text(404, '')
      } catch (err) {
        log.error(`Error handling ${req.method} ${url.pathname}: ${(err as Error).stack ?? err}`)
        return text(500, `Internal error: ${(err as Error).message}`)
      } finally {
        httpInFlight--
      }
    },
    websocket: agentWebSocketHandlers(() => master) as any,
  })
  const boundPort = server.port!
  const advertiseIp = flags.advertise_ip ?? (flags.ip === '0.0.0.0' ? '127.0.0.1' : flags.ip)
  const info = masterInfo(newUuid(), flags.hostname ?? osHostname(), advertiseIp, flags.advertise_port ?? boundPort)
  const url = `${httpScheme()}://${info.address!.ip}:${boundPort}`
  let runtime: MasterRuntime | undefined
  /** This process leads from now on: the master recovers what the registrar holds and starts serving. */
  const lead = (registrar: RegistrarStore, recovered: RegistrarSnapshot) => {
    runtime = new MasterRuntime(registrar, events)
    master = new Master({ info, flags, flagStrings, recovered, runner: runtime, scheme: httpScheme() })
    const rt = runtime
    master.state.metrics.liveQueues = () => ({ httpRequests: httpInFlight, dispatches: rt.pendingDispatches, allocatorDispatches: rt.allocationQueued })
    master.start()
    leading = true
    if (flags.jobs) {
      // The built-in framework talks to this master on the address it is bound to (reachable from this machine
      // whatever --advertise_ip says).
      const kv = new KvArea(recovered.kv ?? [], ops => registrar.write(ops))
      const self = `${httpScheme()}://${flags.ip === '0.0.0.0' ? '127.0.0.1' : flags.ip}:${boundPort}`
      jobs = startJobs(kv, { masterUrl: self, historyLimit: flags.job_history_limit, agentReregisterMs: flags.agent_reregister_timeout, ...(jobsCredential ? { credential: jobsCredential } : {}) })
    }
    if (flags.services) {
      const kv = new KvArea(recovered.kv ?? [], ops => registrar.write(ops))
      const self = `${httpScheme()}://${flags.ip === '0.0.0.0' ? '127.0.0.1' : flags.ip}:${boundPort}`
      services = startServices(kv, { masterUrl: self, agentReregisterMs: flags.agent_reregister_timeout, ...(servicesCredential ? { credential: servicesCredential } : {}) })
    }
    dns?.attach(master, events)
    // VIPs and the agents' load balancers (src/master/vips/, docs/discovery.md): addresses kept in the registrar.
    const vipStore = new KvArea(recovered.kv ?? [], ops => registrar.write(ops)).namespace('vips')
    vips = new VipService(master, events, {
      range: VipRange.parse(flags.vip_range), store: vipStore,
      onChange: table => dns?.replaceRecords('vips', vipRecords(table, dns.naming.domain, dns.naming.spec)),
    })
  }
  let ha: HighAvailability | undefined
  if (flags.zk) {
    ha = await contend(flags, info, {
      leader: l => { leader = l },
      elected: (registrar, recovered) => {
        secrets.replaceAll(recovered.secrets ?? [])
        secrets.replicate = change => registrar.write(['put' in change ? { op: 'putSecret', record: change.put } : { op: 'removeSecret', path: change.remove }])
        lead(registrar, recovered)
      },
    })
    log.info(`Master ${info.id} listening on ${flags.ip}:${boundPort}, contending for leadership in ${ha.where}`)
  } else {
    const registrarPath = flags.registry === 'in_memory' ? undefined : join(workDir, 'registry.db')
    const registrar = Registrar.open(registrarPath)
    lead(registrar, registrar.snapshot())
    log.info(`Master ${info.id} listening on ${flags.ip}:${boundPort} (registrar: ${registrarPath ?? 'in memory'}; secret store: ${secrets.where})`)
  }
  return {
    get master() { return leading ? master : undefined },
    server, url, dns,
    async stop() {
      jobs?.stop()
      vips?.stop()
      services?.stop()
      if (runtime) runtime.stop(master.state)
      dns?.stop()
      await ha?.stop()
      await mastersReader?.close()
      server.stop(true)
      secrets.close()
    },
  }
}

/** --zk without --secret_key_file: a key generated in the work dir, with a warning (a standby has another one). */
function haSecretKeyFile(workDir: string): string {
  const file = join(workDir, 'secret-store.key')
  loadSecretKey(file, true)
  log.warn(`--zk without --secret_key_file: secrets are sealed with ${file}, which other masters do not have; give every master the same --secret_key_file so secrets survive a failover`)
  return file
}

/** The type of a small v1 operator call (GET_MASTER on a standby); '' for bodies too big to be one or unparsable. */
async function smallCallType(req: Request): Promise<string> {
  const length = Number(req.headers.get('content-length') ?? NaN)
  if (!(length >= 0 && length <= 64 * 1024)) return ''
  return peekCallType(req)
}
