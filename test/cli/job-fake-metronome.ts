// A small Metronome-shaped master for the `meso job` command tests (job-commands.test.ts): the /v1 jobs API of the
// contract in docs/jobs.md (specs, runs, schedules, pipeline runs, 422/404/409 bodies), plus just enough of the
// operator API (GET_TASKS, GET_AGENTS) and of an agent's /files/read for `job run --wait` to find and stream a
// task's output. Runs move on with time: STARTING, ACTIVE after 150 ms (task running, output written), finished
// after 400 ms (or the job's label `test/duration-ms`), succeeding unless its label `test/exit` names an exit code (with restart policy ON_FAILURE a second task then succeeds). A finished run leaves the active
// runs (GET …/runs/{id} answers 404, as in Metronome) and is found in the job's history.

const ID = /^([a-z0-9]+(-+[a-z0-9]+)*)(\.([a-z0-9]+(-+[a-z0-9]+)*))*$/
const STARTED_MS = 150
const FINISHED_MS = 400

interface Task { id: string; status: string; startedAt: string; completedAt: string | null; exitCode?: number; stdout: string; stderr: string }
interface Run { id: string; jobId: string; status: string; createdAt: number; restartedAt?: number; completedAt?: number; tasks: Task[]; exitCode?: number; stopped?: boolean; pipelineRunId?: string }
interface Step { jobId: string; dependencies: string[]; status: string; runId?: string; skippedBecause?: string; startedAt?: string; finishedAt?: string }
interface PipelineRun { id: string; jobId: string; status: string; createdAt: string; finishedAt?: string; steps: Step[] }
interface Job { spec: any; schedules: any[]; active: Map<string, Run>; finished: Run[]; successCount: number; failureCount: number; lastSuccessAt?: number; lastFailureAt?: number }

/** Metronome's timestamp form, `+0000` offset included. */
const ts = (ms: number) => new Date(ms).toISOString().replace('Z', '+0000')
const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } })
const message = (status: number, msg: string) => json({ message: msg }, status)

export class FakeMetronome {
  readonly jobs = new Map<string, Job>()
  readonly pipelines = new Map<string, PipelineRun[]>()
  /** Every request, `METHOD path?query`, for assertions on what the CLI asked. */
  readonly requests: string[] = []
  private counter = 0
  private server!: ReturnType<typeof Bun.serve>

  get url() { return `http://127.0.0.1:${this.server.port}` }

  start() {
    this.server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: req => this.handle(req) })
    return this
  }

  stop() { this.server.stop(true) }

  private async handle(req: Request): Promise<Response> {
    const url = new URL(req.url)
    this.requests.push(`${req.method} ${url.pathname}${url.search}`)
    this.tick()
    const p = url.pathname.split('/').filter(Boolean).map(decodeURIComponent)
    const body = async () => { try { return await req.json() } catch { return undefined } }
    if (url.pathname === '/api/v1' && req.method === 'POST') return this.operator((await body()) as { type: string })
    if (url.pathname === '/files/read') return this.filesRead(url)
    if (p[0] !== 'v1') return message(404, 'not found')
    if (p[1] === 'pipelines' && p[3] === 'runs' && req.method === 'GET') {
      const list = this.pipelines.get(p[2]!) ?? []
      if (p.length === 4) return json(list)
      const r = list.find(x => x.id === p[4])
      return r ? json(r) : message(404, `PipelineRun '${p[4]}' does not exist`)
    }
    if (p[1] !== 'jobs') return message(404, 'not found')
    if (p.length === 2) {
      if (req.method === 'GET') return json([...this.jobs.values()].map(j => this.view(j, url.searchParams.getAll('embed'))))
      if (req.method === 'POST') return this.create((await body()) as any)
    }
    const job = this.jobs.get(p[2]!)
    if (!job) return message(404, `Job '${p[2]}' does not exist`)
    if (p.length === 3) {
      if (req.method === 'GET') return json(this.view(job, url.searchParams.getAll('embed')))
      if (req.method === 'PUT') {
        const spec = { ...((await body()) as any), id: job.spec.id }
        const invalid = this.validate(spec)
        if (invalid) return invalid
        job.spec = spec
        return json(this.view(job, []))
      }
      if (req.method === 'DELETE') {
        if (job.active.size && url.searchParams.get('stopCurrentJobRuns') !== 'true') return message(409, 'There are active job runs. Override with stopCurrentJobRuns=true')
        this.jobs.delete(job.spec.id)
        return json(job.spec)
      }
    }
    if (p[3] === 'runs') {
      if (p.length === 4 && req.method === 'POST') return this.startRun(job, url.searchParams.get('from') ?? undefined)
      if (p.length === 4 && req.method === 'GET') return json([...job.active.values()].map(r => this.runView(r)))
      const run = job.active.get(p[4]!)
      if (!run) return message(404, `JobRun '${p[4]}' does not exist`)
      if (p.length === 5 && req.method === 'GET') return json(this.runView(run))
      if (p[5] === 'actions' && p[6] === 'stop' && req.method === 'POST') { run.stopped = true; this.tick(); return json(this.runView(run)) }
    }
    if (p[3] === 'schedules') {
      if (p.length === 4 && req.method === 'GET') return json(job.schedules)
      if (p.length === 4 && req.method === 'POST') {
        const s = (await body()) as any
        if (!s?.cron) return json({ message: 'Object is not valid', details: [{ path: '/cron', errors: ['error.path.missing'] }] }, 422)
        if (job.schedules.some(x => x.id === s.id)) return message(409, `A schedule with id ${s.id} already exists`)
        const saved = { ...s, nextRunAt: '2026-12-07T03:00:00.000+0000' }
        job.schedules.push(saved)
        return json(saved, 201)
      }
      const i = job.schedules.findIndex(x => x.id === p[4])
      if (i < 0) return message(404, `Schedule '${p[4]}' does not exist`)
      if (req.method === 'PUT') { job.schedules[i] = { ...((await body()) as any), id: p[4], nextRunAt: '2026-12-07T04:00:00.000+0000' }; return json(job.schedules[i]) }
      if (req.method === 'DELETE') { job.schedules.splice(i, 1); return new Response(null, { status: 200 }) }
    }
    return message(405, 'method not allowed')
  }

  private validate(spec: any): Response | undefined {
    const details: { path: string; errors: string[] }[] = []
    if (typeof spec?.id !== 'string' || !ID.test(spec.id)) details.push({ path: '/id', errors: ['error.pattern'] })
    if (!spec?.run || typeof spec.run !== 'object') details.push({ path: '/run', errors: ['error.path.missing'] })
    else if (spec.run.cpus !== undefined && spec.run.cpus < 0.01) details.push({ path: '/run/cpus', errors: ['error.min(0.01)'] })
    for (const d of spec?.dependencies ?? []) if (!this.jobs.has(d.id)) details.push({ path: '/dependencies', errors: [`Job '${d.id}' does not exist`] })
    return details.length ? json({ message: 'Object is not valid', details }, 422) : undefined
  }

  private create(spec: any): Response {
    const invalid = this.validate(spec)
    if (invalid) return invalid
    if (this.jobs.has(spec.id)) return message(409, 'Job with this id already exists')
    this.jobs.set(spec.id, { spec, schedules: spec.schedules ?? [], active: new Map(), finished: [], successCount: 0, failureCount: 0 })
    return json(spec, 201)
  }

  private view(job: Job, embed: string[]) {
    const v: any = { ...job.spec, schedules: job.schedules }
    if (embed.includes('activeRuns')) v.activeRuns = [...job.active.values()].map(r => this.runView(r))
    const summary = { successCount: job.successCount, failureCount: job.failureCount, lastSuccessAt: job.lastSuccessAt ? ts(job.lastSuccessAt) : null, lastFailureAt: job.lastFailureAt ? ts(job.lastFailureAt) : null }
    if (embed.includes('historySummary')) v.historySummary = summary
    if (embed.includes('history')) {
      const info = (r: Run) => ({ id: r.id, createdAt: ts(r.createdAt), finishedAt: ts(r.completedAt!), tasks: r.tasks.map(t => t.id) })
      v.history = { ...summary, successfulFinishedRuns: job.finished.filter(r => r.status === 'SUCCESS').map(info), failedFinishedRuns: job.finished.filter(r => r.status === 'FAILED').map(info) }
    }
    return v
  }

  private runView(r: Run) {
    return {
      id: r.id, jobId: r.jobId, status: r.status, createdAt: ts(r.createdAt), completedAt: r.completedAt ? ts(r.completedAt) : null,
      tasks: r.tasks.map(t => ({ id: t.id, status: t.status, startedAt: t.startedAt, completedAt: t.completedAt })),
      ...(r.exitCode !== undefined ? { exitCode: r.exitCode } : {}),
    }
  }

  private newRun(job: Job, pipelineRunId?: string): Run {
    const id = `20261206000000${String(++this.counter).padStart(5, '0')}`
    const run: Run = { id, jobId: job.spec.id, status: 'STARTING', createdAt: Date.now(), tasks: [], ...(pipelineRunId ? { pipelineRunId } : {}) }
    job.active.set(id, run)
    return run
  }

  private startRun(job: Job, from: string | undefined): Response {
    if (!job.spec.dependencies?.length) {
      if (from !== undefined) return message(422, `job '${job.spec.id}' has no dependencies`)
      return json(this.runView(this.newRun(job)), 201)
    }
    const steps = this.stepsOf(job.spec.id)
    const previous = this.pipelines.get(job.spec.id)?.[0]
    let reuse = new Set<string>()
    if (from !== undefined) {
      if (!steps.some(s => s.jobId === from)) return message(422, `'${from}' is not a step of the pipeline of job '${job.spec.id}'`)
      const down = new Set([from])
      for (let grew = true; grew;) { grew = false; for (const s of steps) if (!down.has(s.jobId) && s.dependencies.some(d => down.has(d))) { down.add(s.jobId); grew = true } }
      reuse = new Set((previous?.steps ?? []).filter(s => !down.has(s.jobId) && (s.status === 'SUCCESS' || s.status === 'REUSED')).map(s => s.jobId))
    }
    const pr: PipelineRun = {
      id: `p${++this.counter}`, jobId: job.spec.id, status: 'ACTIVE', createdAt: ts(Date.now()),
      steps: steps.map(s => ({ ...s, status: reuse.has(s.jobId) ? 'REUSED' : 'WAITING', ...(reuse.has(s.jobId) ? { runId: previous!.steps.find(x => x.jobId === s.jobId)!.runId } : {}) })),
    }
    this.pipelines.set(job.spec.id, [pr, ...(this.pipelines.get(job.spec.id) ?? [])])
    this.tick()
    return json(pr, 201)
  }

  /** The job and everything it depends on, dependencies first. */
  private stepsOf(id: string): { jobId: string; dependencies: string[] }[] {
    const out: { jobId: string; dependencies: string[] }[] = []
    const visit = (j: string) => {
      if (out.some(s => s.jobId === j)) return
      const deps = (this.jobs.get(j)?.spec.dependencies ?? []).map((d: { id: string }) => d.id)
      deps.forEach(visit)
      out.push({ jobId: j, dependencies: deps })
    }
    visit(id)
    return out
  }

  /** Moves every run and pipeline run on to where the clock says it is. */
  private tick() {
    const now = Date.now()
    for (const job of this.jobs.values()) {
      for (const run of [...job.active.values()]) {
        // ON_FAILURE: the first task fails with `test/exit`, its replacement succeeds.
        const retried = run.tasks.length > 1
        const exit = retried ? 0 : Number(job.spec.labels?.['test/exit'] ?? 0)
        const age = now - (run.restartedAt ?? run.createdAt)
        if (age >= STARTED_MS && !run.tasks.length) {
          run.status = 'ACTIVE'
          run.tasks.push({ id: `${run.jobId}_${run.id}.1`, status: 'TASK_RUNNING', startedAt: ts(now), completedAt: null, stdout: `out of ${run.jobId}\n`, stderr: exit ? `boom in ${run.jobId}\n` : '' })
        }
        if (age >= Number(job.spec.labels?.['test/duration-ms'] ?? FINISHED_MS) || run.stopped) {
          const task = run.tasks.at(-1)
          const code = run.stopped ? undefined : exit
          if (task) { task.status = run.stopped ? 'TASK_KILLED' : code ? 'TASK_FAILED' : 'TASK_FINISHED'; task.completedAt = ts(now); if (code !== undefined) task.exitCode = code }
          if (code && job.spec.run?.restart?.policy === 'ON_FAILURE') {
            run.tasks.push({ id: `${run.jobId}_${run.id}.2`, status: 'TASK_RUNNING', startedAt: ts(now), completedAt: null, stdout: `retry of ${run.jobId}\n`, stderr: '' })
            run.restartedAt = now
            continue
          }
          run.status = !run.stopped && code === 0 ? 'SUCCESS' : 'FAILED'
          run.completedAt = now
          if (code !== undefined) run.exitCode = code
          job.active.delete(run.id)
          job.finished.unshift(run)
          if (run.status === 'SUCCESS') { job.successCount++; job.lastSuccessAt = now } else { job.failureCount++; job.lastFailureAt = now }
        }
      }
    }
    for (const list of this.pipelines.values()) for (const pr of list) this.tickPipeline(pr, now)
  }

  private tickPipeline(pr: PipelineRun, now: number) {
    if (pr.status !== 'ACTIVE') return
    for (let changed = true; changed;) {
      changed = false
      for (const s of pr.steps) {
        if (s.status === 'ACTIVE') {
          const done = this.jobs.get(s.jobId)?.finished.find(r => r.id === s.runId)
          if (!done) continue
          s.status = done.status
          s.finishedAt = ts(done.completedAt!)
          changed = true
          if (done.status === 'FAILED') {
            const down = new Set([s.jobId])
            for (let grew = true; grew;) { grew = false; for (const x of pr.steps) if (!down.has(x.jobId) && x.dependencies.some(d => down.has(d))) { down.add(x.jobId); grew = true } }
            for (const x of pr.steps) if (x.jobId !== s.jobId && down.has(x.jobId) && x.status === 'WAITING') { x.status = 'SKIPPED'; x.skippedBecause = s.jobId }
          }
        }
        if (s.status === 'WAITING' && s.dependencies.every(d => ['SUCCESS', 'REUSED'].includes(pr.steps.find(x => x.jobId === d)!.status))) {
          const run = this.newRun(this.jobs.get(s.jobId)!, pr.id)
          s.status = 'ACTIVE'
          s.runId = run.id
          s.startedAt = ts(now)
          changed = true
        }
      }
    }
    if (pr.steps.every(s => !['WAITING', 'ACTIVE'].includes(s.status))) {
      pr.status = pr.steps.every(s => ['SUCCESS', 'REUSED'].includes(s.status)) ? 'SUCCESS' : 'FAILED'
      pr.finishedAt = ts(now)
    }
  }

  private allTasks(): { job: string; task: Task }[] {
    return [...this.jobs.values()].flatMap(j => [...j.active.values(), ...j.finished].flatMap(r => r.tasks.map(task => ({ job: j.spec.id, task }))))
  }

  private operator(call: { type: string }): Response {
    if (call?.type === 'GET_AGENTS') return json({ type: 'GET_AGENTS', get_agents: { agents: [{ agent_info: { id: { value: 'agent-1' }, hostname: '127.0.0.1' }, pid: `slave(1)@127.0.0.1:${this.server.port}` }] } })
    if (call?.type === 'GET_TASKS') {
      const view = ({ task }: { task: Task }) => ({
        name: task.id.split('_')[0], task_id: { value: task.id }, framework_id: { value: 'metronome-fw' }, agent_id: { value: 'agent-1' }, state: task.status,
        statuses: [{
          task_id: { value: task.id }, state: task.status,
          ...(task.exitCode !== undefined ? { labels: { labels: [{ key: 'meso.io/exit-status', value: String(task.exitCode << 8) }] } } : {}),
          ...(task.status === 'TASK_KILLED' ? { message: 'stopped by the jobs service' } : {}),
        }],
      })
      const all = this.allTasks()
      const live = all.filter(t => t.task.status === 'TASK_RUNNING')
      const done = all.filter(t => t.task.status !== 'TASK_RUNNING')
      return json({ type: 'GET_TASKS', get_tasks: { tasks: live.map(view), completed_tasks: done.map(view) } })
    }
    return json({ message: `unexpected ${call?.type}` }, 400)
  }

  private filesRead(url: URL): Response {
    const path = url.searchParams.get('path') ?? ''
    const m = /^\/frameworks\/metronome-fw\/executors\/([^/]+)\/runs\/latest\/(stdout|stderr)$/.exec(path)
    const task = m ? this.allTasks().find(t => t.task.id === m[1])?.task : undefined
    if (!task) return new Response('', { status: 404 })
    const data = m![2] === 'stdout' ? task.stdout : task.stderr
    const offset = Number(url.searchParams.get('offset') ?? 0)
    if (offset < 0) return json({ data: '', offset: data.length })
    const length = Number(url.searchParams.get('length') ?? data.length)
    return json({ data: data.slice(offset, offset + length), offset })
  }
}
