// A small Marathon-shaped master for the `meso service` command tests (service-commands.test.ts): the /v2 apps,
// deployments, queue and events API of Marathon's RAML (shapes, 409/422/404 bodies, the Marathon-Deployment-Id
// header; PUT /v2/apps with a list is one deployment of all), with deployments that move on with time and tell
// /v2/events subscribers about it; /v2/info, and meso's /api/meso/v1/dns and /vips (settable) for `service
// endpoints`. An app's labels steer
// it: `test/stuck` (a reason) keeps its deployment waiting for offers, declined for InsufficientCpus and
// UnfulfilledConstraint, and listed with that reason; `test/fail` (a reason) fails its deployment.

const STAGED_MS = 100
const RUNNING_MS = 250

interface FakeTask { id: string; appId: string; host: string; state: string; version: string; stagedAt: string; startedAt: string | null; healthy?: boolean }
interface FakeApp { def: any; version: string; lastConfigChangeAt: string; versions: { version: string; def: any }[]; tasks: FakeTask[]; lastTaskFailure?: any }
interface Part { appId: string; action: string; target: any | null }
interface FakeDeployment { id: string; version: string; createdAt: number; parts: Part[]; stuck?: string; fail?: string; revertsOf?: string }

const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } })
const message = (status: number, msg: string) => json({ message: msg }, status)
/** JSON with object keys sorted, to compare definitions whatever order their fields came in. */
const canonical = (v: unknown): string =>
  Array.isArray(v) ? `[${v.map(canonical).join(',')}]`
    : v && typeof v === 'object' ? `{${Object.keys(v).sort().map(k => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(',')}}`
    : JSON.stringify(v)

export class FakeMarathon {
  readonly apps = new Map<string, FakeApp>()
  readonly deployments = new Map<string, FakeDeployment>()
  /** Every request, `METHOD path?query`, for assertions on what the CLI asked. */
  readonly requests: string[] = []
  /** When false, /v2/events answers 404 (a master without the stream: the CLI polls). */
  eventsEnabled = true
  private subscribers = new Set<ReadableStreamDefaultController<Uint8Array>>()
  private counter = 0
  private clock = 0
  private server!: ReturnType<typeof Bun.serve>
  private timer!: ReturnType<typeof setInterval>

  get url() { return `http://127.0.0.1:${this.server.port}` }

  start() {
    this.server = Bun.serve({ hostname: '127.0.0.1', port: 0, idleTimeout: 0, fetch: req => this.handle(req) })
    this.timer = setInterval(() => this.tick(), 25)
    return this
  }

  stop() {
    clearInterval(this.timer)
    for (const c of this.subscribers) { try { c.close() } catch { /* closed by the client */ } }
    this.server.stop(true)
  }

  /** Versions are distinct, increasing timestamps, as Marathon's are. */
  private nextVersion() { this.clock = Math.max(Date.now(), this.clock + 1); return new Date(this.clock).toISOString() }

  private emit(eventType: string, data: Record<string, unknown>) {
    const bytes = new TextEncoder().encode(`event: ${eventType}\ndata: ${JSON.stringify({ ...data, eventType, timestamp: new Date().toISOString() })}\n\n`)
    for (const c of this.subscribers) { try { c.enqueue(bytes) } catch { this.subscribers.delete(c) } }
  }

  private async handle(req: Request): Promise<Response> {
    const url = new URL(req.url)
    this.requests.push(`${req.method} ${url.pathname}${url.search}`)
    const p = url.pathname.split('/').filter(Boolean).map(decodeURIComponent)
    const force = url.searchParams.get('force') === 'true'
    const body = async () => { try { return await req.json() } catch { return undefined } }
    if (p[0] === 'api' && p[1] === 'meso' && p[2] === 'v1') return this.mesoApi(p[3])
    if (p[0] !== 'v2') return message(404, 'not found')
    if (p[1] === 'info' && req.method === 'GET') return json({ name: 'marathon', version: '1.11.0', frameworkId: this.frameworkId, marathon_config: { framework_name: 'marathon' } })
    if (p[1] === 'events') return this.events(url.searchParams.getAll('event_type'))
    if (p[1] === 'queue' && req.method === 'GET') return json({ queue: this.queue(url.searchParams.getAll('embed').includes('lastUnusedOffers')) })
    if (p[1] === 'deployments') {
      if (p.length === 2 && req.method === 'GET') return json([...this.deployments.values()].map(d => this.deploymentView(d)))
      const d = this.deployments.get(p[2] ?? '')
      if (!d) return message(404, `DeploymentPlan ${p[2]} does not exist`)
      if (req.method === 'DELETE') return this.cancel(d, force)
    }
    if (p[1] !== 'apps') return message(404, 'not found')
    // The app id is the path after /v2/apps up to a trailing /restart, /tasks or /versions[/v].
    const rest = p.slice(2)
    let sub: string | undefined
    let version: string | undefined
    const vi = rest.lastIndexOf('versions')
    if (vi > 0 && vi >= rest.length - 2) { sub = 'versions'; version = rest[vi + 1]; rest.splice(vi) }
    else if (['restart', 'tasks'].includes(rest.at(-1) ?? '') && rest.length > 1) sub = rest.pop()
    const id = `/${rest.join('/')}`
    if (!rest.length) {
      if (req.method === 'GET') return json({ apps: [...this.apps.values()].map(a => this.appView(a, url.searchParams.getAll('embed'))) })
      if (req.method === 'PUT') return this.putMany((await body()) as any[], force, url.searchParams.get('partialUpdate') !== 'false')
      return message(405, 'method not allowed')
    }
    const app = this.apps.get(id)
    if (req.method === 'PUT' && !sub) return this.put(id, (await body()) as any, force, url.searchParams.get('partialUpdate') !== 'false')
    if (!app) return message(404, `App '${id}' does not exist`)
    if (!sub && req.method === 'GET') return json({ app: this.appView(app, url.searchParams.getAll('embed')) })
    if (!sub && req.method === 'DELETE') return this.change(app, 'StopApplication', null, force)
    if (sub === 'restart' && req.method === 'POST') return this.change(app, 'RestartApplication', { ...app.def }, force)
    if (sub === 'tasks' && req.method === 'GET') return json({ tasks: app.tasks.map(t => this.taskView(app, t)) })
    if (sub === 'versions' && req.method === 'GET') {
      if (!version) return json({ versions: app.versions.map(v => v.version).reverse() })
      const v = app.versions.find(x => x.version === version)
      return v ? json({ ...v.def, version: v.version }) : message(404, `App '${id}' does not exist in version ${version}`)
    }
    return message(405, 'method not allowed')
  }

  /** The services framework's id (/v2/info), and what meso's own API answers for `service endpoints`. */
  readonly frameworkId = 'fw-services'
  /** GET /api/meso/v1/dns; undefined: 404 (a master that does not say). */
  dns: { enabled: boolean; domain?: string } | undefined = { enabled: true, domain: 'mesos' }
  /** GET /api/meso/v1/vips's entries (VipEntry). */
  vips: unknown[] = []

  private mesoApi(what: string | undefined): Response {
    if (what === 'dns' && this.dns) return json(this.dns)
    if (what === 'vips') return json({ vips: this.vips, errors: [], range: '11.0.0.0/8' })
    return message(404, 'not found')
  }

  /** Event types each subscriber asked for (Marathon's ?event_type=), for assertions. */
  readonly eventTypesAsked: string[][] = []

  private events(types: string[]): Response {
    if (!this.eventsEnabled) return message(404, 'not found')
    this.eventTypesAsked.push(types)
    let me: ReadableStreamDefaultController<Uint8Array>
    const stream = new ReadableStream<Uint8Array>({
      start: c => { me = c; this.subscribers.add(c); c.enqueue(new TextEncoder().encode(': connected\n\n')) },
      cancel: () => { this.subscribers.delete(me) },
    })
    return new Response(stream, { headers: { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' } })
  }

  private validate(def: any): Response | undefined {
    const details: { path: string; errors: string[] }[] = []
    if (def.cpus !== undefined && !(def.cpus >= 0.01)) details.push({ path: '/cpus', errors: [`got ${def.cpus}, expected 0.01 or more`] })
    if (def.instances !== undefined && !(Number.isInteger(def.instances) && def.instances >= 0)) details.push({ path: '/instances', errors: [`got ${def.instances}, expected 0 or more`] })
    if (!def.cmd && !def.args && !def.container) details.push({ path: '/', errors: ['AppDefinition must either contain one of \'cmd\' or \'args\', and/or a \'container\'.'] })
    return details.length ? json({ message: 'Object is not valid', details }, 422) : undefined
  }

  /** The change one app's PUT asks for: its new definition and the action, or a 422. */
  private planPut(id: string, patch: any, partial: boolean): Part | Response {
    const app = this.apps.get(id)
    // partialUpdate=false replaces the definition: what the body leaves out goes back to its default.
    const def = app && partial ? { ...app.def, ...patch, id } : { instances: 1, cpus: 1, mem: 128, disk: 0, ...patch, id }
    const invalid = this.validate(def)
    if (invalid) return invalid
    if (!app) return { appId: id, action: 'StartApplication', target: def }
    const { instances: _a, ...before } = app.def
    const { instances: _b, ...after } = def
    return { appId: id, action: canonical(before) === canonical(after) ? 'ScaleApplication' : 'RestartApplication', target: def }
  }

  private put(id: string, patch: any, force: boolean, partial: boolean): Response {
    // A body of just {"version": …} deploys that stored version again (marathon-python's rollback_app).
    if (patch && Object.keys(patch).length === 1 && typeof patch.version === 'string') {
      const app = this.apps.get(id)
      const stored = app?.versions.find(v => v.version === patch.version)
      if (!stored) return message(404, `App '${id}' does not exist in version ${patch.version}`)
      return this.deploy([{ appId: id, action: 'RestartApplication', target: stored.def }], force, 200)
    }
    const part = this.planPut(id, patch, partial)
    if (part instanceof Response) return part
    return this.deploy([part], force, part.action === 'StartApplication' ? 201 : 200)
  }

  /** PUT /v2/apps with a list: one deployment for all of them. */
  private putMany(list: any[], force: boolean, partial: boolean): Response {
    if (!Array.isArray(list)) return json({ message: 'Object is not valid', details: [{ path: '/', errors: ['expected a JSON array of apps'] }] }, 422)
    const parts: Part[] = []
    for (const a of list) {
      const part = this.planPut(String(a?.id), a, partial)
      if (part instanceof Response) return part
      parts.push(part)
    }
    return this.deploy(parts, force, 200)
  }

  /**
   * Starts one deployment of `parts`: refused (409) while a deployment holds one of their apps, unless forced
   * (which cancels those). Each app gets a new version; a restart or a new definition is a new configuration.
   */
  private deploy(parts: Part[], force: boolean, status: number, revertsOf?: string): Response {
    const ids = new Set(parts.map(p => p.appId))
    const locks = [...this.deployments.values()].filter(d => d.parts.some(p => ids.has(p.appId)))
    if (locks.length && !force) {
      return json({ message: "App is locked by one or more deployments. Override with the option '?force=true'. View details at '/v2/deployments/<DEPLOYMENT_ID>'.", deployments: locks.map(d => ({ id: d.id })) }, 409)
    }
    for (const d of locks) { this.deployments.delete(d.id); this.emit('deployment_failed', { id: d.id, plan: this.planView(d) }) }
    const version = this.nextVersion()
    for (const p of parts) {
      const app = this.apps.get(p.appId)
      if (!p.target) continue
      if (!app) { this.apps.set(p.appId, { def: p.target, version, lastConfigChangeAt: version, versions: [{ version, def: p.target }], tasks: [] }); continue }
      if (p.action === 'RestartApplication') app.lastConfigChangeAt = version
      app.def = p.target
      app.version = version
      app.versions.push({ version, def: p.target })
    }
    const labels = (key: string) => parts.map(p => p.target?.labels?.[key]).find(Boolean) as string | undefined
    const d: FakeDeployment = {
      id: `dep-${++this.counter}-5a28-4821-9d94-480d9fbb01c8`, version, createdAt: Date.now(), parts,
      ...(labels('test/stuck') ? { stuck: labels('test/stuck') } : {}), ...(labels('test/fail') ? { fail: labels('test/fail') } : {}),
      ...(revertsOf ? { revertsOf } : {}),
    }
    this.deployments.set(d.id, d)
    this.emit('deployment_info', { plan: this.planView(d), currentStep: { actions: this.actions(d) } })
    return json({ deploymentId: d.id, version }, status, { 'Marathon-Deployment-Id': d.id })
  }

  private change(app: FakeApp, action: string, target: any | null, force: boolean): Response {
    return this.deploy([{ appId: app.def.id, action, target }], force, 200)
  }

  /** DELETE /v2/deployments/{id}: a deployment that reverts it (200), or with force just stopping it (202). */
  private cancel(d: FakeDeployment, force: boolean): Response {
    this.deployments.delete(d.id)
    this.emit('deployment_failed', { id: d.id, plan: this.planView(d) })
    if (force) return new Response(null, { status: 202 })
    // Reverting a creation removes the app; reverting a change goes back to the version before it.
    const parts: Part[] = d.parts.map(p => {
      const before = this.apps.get(p.appId)?.versions.filter(v => v.version < d.version).at(-1)
      return before ? { appId: p.appId, action: 'RestartApplication', target: before.def } : { appId: p.appId, action: 'StopApplication', target: null }
    })
    return this.deploy(parts, true, 200, d.id)
  }

  /** Moves every deployment on to where the clock says it is, telling the event subscribers. */
  private tick() {
    const now = Date.now()
    for (const d of [...this.deployments.values()]) {
      const age = now - d.createdAt
      if (d.stuck) continue
      if (d.fail && age >= RUNNING_MS) {
        for (const p of d.parts) {
          const app = this.apps.get(p.appId)
          if (!app) continue
          app.lastTaskFailure = { appId: p.appId, host: '127.0.0.1', message: d.fail, state: 'TASK_FAILED', taskId: `${p.appId.slice(1)}.failed`, timestamp: new Date().toISOString(), version: app.version }
          this.emit('status_update_event', { appId: p.appId, taskId: app.lastTaskFailure.taskId, taskStatus: 'TASK_FAILED', message: d.fail, host: '127.0.0.1', slaveId: 'agent-1' })
        }
        this.deployments.delete(d.id)
        this.emit('deployment_failed', { id: d.id, plan: this.planView(d), reason: `tasks of ${d.parts.map(p => p.appId).join(', ')} keep failing: ${d.fail}` })
        continue
      }
      for (const p of d.parts) {
        const app = this.apps.get(p.appId)
        if (!app) continue
        if (p.action === 'StopApplication') { if (age >= STAGED_MS) this.apps.delete(p.appId); continue }
        const want = p.target.instances ?? 1
        if (age >= STAGED_MS && !app.tasks.some(t => t.version === app.version)) {
          app.tasks = Array.from({ length: want }, (_, i) => ({ id: `${p.appId.slice(1).replace(/\//g, '_')}.instance-${d.id.slice(4, 6)}${i}`, appId: p.appId, host: '127.0.0.1', state: 'TASK_STAGING', version: app.version, stagedAt: new Date().toISOString(), startedAt: null }))
          for (const t of app.tasks) this.emit('status_update_event', { appId: p.appId, taskId: t.id, taskStatus: 'TASK_STAGING', host: t.host, slaveId: 'agent-1', message: '' })
        }
        if (age >= RUNNING_MS) for (const t of app.tasks) { t.state = 'TASK_RUNNING'; t.startedAt ??= new Date().toISOString(); t.healthy = true }
      }
      if (age >= RUNNING_MS) {
        this.deployments.delete(d.id)
        this.emit('deployment_step_success', { plan: this.planView(d), currentStep: { actions: this.actions(d) } })
        this.emit('deployment_success', { id: d.id, plan: this.planView(d) })
      }
    }
  }

  private actions(d: FakeDeployment) { return d.parts.map(p => ({ action: p.action, app: p.appId })) }

  private planView(d: FakeDeployment) {
    return { id: d.id, version: d.version, steps: [{ actions: this.actions(d) }] }
  }

  private deploymentView(d: FakeDeployment) {
    return {
      id: d.id, version: d.version, affectedApps: d.parts.map(p => p.appId), affectedPods: [],
      steps: [{ actions: this.actions(d) }],
      currentActions: this.actions(d).map(a => ({ ...a, readinessCheckResults: [] })),
      currentStep: 1, totalSteps: 1,
      ...(d.stuck ? { reason: d.stuck } : {}),
    }
  }

  private taskView(app: FakeApp, t: FakeTask) {
    // Host ports as the definition asks for them (31000 when it names none); a CNI network: an address in it.
    const cni = app.def.networks?.[0]?.mode === 'container'
    const ports = cni ? (app.def.container?.portMappings ?? []).filter((m: any) => m.hostPort !== undefined).map((_: unknown, i: number) => 32000 + i)
      : app.def.portDefinitions ? app.def.portDefinitions.map((_: unknown, i: number) => 31000 + i) : [31000]
    return {
      id: t.id, appId: t.appId, host: t.host, slaveId: 'agent-1', ports, ...(cni ? { ipAddresses: [{ ipAddress: `172.31.0.${app.tasks.indexOf(t) + 2}`, protocol: 'IPv4' }] } : {}), state: t.state, stagedAt: t.stagedAt, startedAt: t.startedAt, version: t.version,
      ...(app.def.healthChecks?.length ? { healthCheckResults: [{ alive: !!t.healthy, consecutiveFailures: t.healthy ? 0 : 2, lastFailureCause: t.healthy ? null : 'connection refused', instanceId: t.id }] } : {}),
    }
  }

  private appView(app: FakeApp, embed: string[]) {
    const running = app.tasks.filter(t => t.state === 'TASK_RUNNING')
    const v: any = {
      ...app.def, version: app.version, versionInfo: { lastScalingAt: app.version, lastConfigChangeAt: app.lastConfigChangeAt },
      tasksStaged: app.tasks.filter(t => t.state === 'TASK_STAGING').length, tasksRunning: running.length,
      tasksHealthy: app.def.healthChecks?.length ? running.filter(t => t.healthy).length : 0, tasksUnhealthy: 0,
      deployments: [...this.deployments.values()].filter(d => d.parts.some(p => p.appId === app.def.id)).map(d => ({ id: d.id })),
    }
    if (embed.includes('apps.tasks')) v.tasks = app.tasks.map(t => this.taskView(app, t))
    if (embed.includes('apps.lastTaskFailure') && app.lastTaskFailure) v.lastTaskFailure = app.lastTaskFailure
    return v
  }

  private queue(withOffers: boolean) {
    return [...this.deployments.values()].filter(d => d.stuck).flatMap(d => d.parts.filter(p => p.target).map(p => ({ d, target: p.target }))).map(({ d, target }) => ({
      app: { ...target, version: d.version }, count: target.instances ?? 1, role: '*',
      delay: { timeLeftSeconds: 0, overdue: true }, since: new Date(d.createdAt).toISOString(),
      processedOffersSummary: {
        processedOffersCount: 10, unusedOffersCount: 10, lastUnusedOfferAt: new Date().toISOString(),
        rejectSummaryLastOffers: [
          { reason: 'UnfulfilledRole', declined: 0, processed: 10 },
          { reason: 'InsufficientCpus', declined: 6, processed: 10 },
          { reason: 'UnfulfilledConstraint', declined: 4, processed: 4 },
        ],
        rejectSummaryLaunchAttempt: [{ reason: 'InsufficientCpus', declined: 6, processed: 10 }],
      },
      ...(withOffers ? {
        lastUnusedOffers: [
          { offer: { id: 'o-1', hostname: 'node-1', agentId: 'agent-1', resources: [], attributes: [] }, reason: ['InsufficientCpus'], timestamp: new Date().toISOString() },
          { offer: { id: 'o-2', hostname: 'node-2', agentId: 'agent-2', resources: [], attributes: [] }, reason: ['UnfulfilledConstraint'], timestamp: new Date().toISOString() },
        ],
      } : {}),
    }))
  }
}
