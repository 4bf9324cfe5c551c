// Metronome's v1 job spec (api/src/main/resources/public/api/v1/schema/jobspec.schema.json and the JobSpec /
// JobRunSpec / ScheduleSpec models): reading a request body into a spec with Metronome's defaults, and the
// validation errors Metronome answers 422 with ({"message":"Object is not valid","details":[{path, errors}]}).
// Pure: no I/O; the checks that need the other jobs (dependencies) are in pipeline-graph.ts.

import { CronError, parseCron } from './cron.ts'
import { isKnownTimeZone } from './zoned-time.ts'

export interface ScheduleSpec {
  id: string
  cron: string
  timezone: string
  startingDeadlineSeconds: number
  concurrencyPolicy: 'ALLOW' | 'FORBID'
  enabled: boolean
}

export interface ConstraintSpec { attribute: string; operator: 'IS' | 'EQ' | 'LIKE' | 'UNLIKE'; value?: string }
export interface HostVolume { containerPath: string; hostPath: string; mode: 'RO' | 'RW' }
export interface SecretVolume { containerPath: string; secret: string }
export type EnvValue = string | { secret: string }

export interface JobRunSpec {
  cpus: number
  mem: number
  disk: number
  gpus: number
  cmd?: string
  args?: string[]
  user?: string
  env: Record<string, EnvValue>
  placement: { constraints: ConstraintSpec[] }
  artifacts: { uri: string; extract: boolean; executable: boolean; cache: boolean }[]
  maxLaunchDelay: number
  docker?: { image: string; privileged?: boolean; parameters?: { key: string; value: string }[]; forcePullImage?: boolean }
  ucr?: { image: { id: string; kind?: string; forcePull?: boolean }; privileged?: boolean }
  volumes: (HostVolume | SecretVolume)[]
  restart: { policy: 'NEVER' | 'ON_FAILURE'; activeDeadlineSeconds?: number }
  taskKillGracePeriodSeconds?: number
  secrets: Record<string, { source: string }>
  networks: { name?: string; mode: string; labels?: Record<string, string> }[]
}

export interface JobSpec {
  id: string
  description?: string
  dependencies: { id: string }[]
  labels: Record<string, string>
  schedules: ScheduleSpec[]
  run: JobRunSpec
}

export interface ValidationDetail { path: string; errors: string[] }

/** A spec Metronome would refuse with 422: the details name each path and what is wrong there. */
export class SpecError extends Error {
  constructor(readonly details: ValidationDetail[]) { super('Object is not valid') }
  body() { return { message: 'Object is not valid', details: this.details } }
}

/** Metronome's job id (pathType): dot-separated names of lowercase letters, digits and inner dashes. */
export const JOB_ID = /^([a-z0-9]+(-+[a-z0-9]+)*)(\.([a-z0-9]+(-+[a-z0-9]+)*))*$/
/** A schedule id (schedulespec.schema.json's pathType). */
export const SCHEDULE_ID = /^([a-z0-9][a-z0-9-]*[a-z0-9]+)$|^[a-z0-9]$/
/** Longest job id meso takes (Metronome has no limit; ids become znode names and task ids). */
const MAX_ID_LENGTH = 200

class Reader {
  readonly details: ValidationDetail[] = []
  error(path: string, message: string) {
    const d = this.details.find(x => x.path === path)
    if (d) d.errors.push(message)
    else this.details.push({ path, errors: [message] })
  }
  obj(v: unknown, path: string): Record<string, unknown> | undefined {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>
    this.error(path, 'error.expected.jsobject')
    return undefined
  }
  only(o: Record<string, unknown>, path: string, allowed: string[]) {
    for (const k of Object.keys(o)) if (!allowed.includes(k)) this.error(`${path}/${k}`, 'error.additionalProperties: not allowed')
  }
  str(o: Record<string, unknown>, key: string, path: string, required = false): string | undefined {
    const v = o[key]
    if (v === undefined || v === null) { if (required) this.error(`${path}/${key}`, 'error.path.missing'); return undefined }
    if (typeof v !== 'string') { this.error(`${path}/${key}`, 'error.expected.jsstring'); return undefined }
    return v
  }
  num(o: Record<string, unknown>, key: string, path: string, opts: { int?: boolean; min?: number } = {}): number | undefined {
    const v = o[key]
    if (v === undefined || v === null) return undefined
    if (typeof v !== 'number' || !Number.isFinite(v)) { this.error(`${path}/${key}`, 'error.expected.jsnumber'); return undefined }
    if (opts.int && !Number.isInteger(v)) { this.error(`${path}/${key}`, 'error.expected.int'); return undefined }
    if (opts.min !== undefined && v < opts.min) { this.error(`${path}/${key}`, `error.min: must be at least ${opts.min}`); return undefined }
    return v
  }
  bool(o: Record<string, unknown>, key: string, path: string): boolean | undefined {
    const v = o[key]
    if (v === undefined || v === null) return undefined
    if (typeof v !== 'boolean') { this.error(`${path}/${key}`, 'error.expected.jsboolean'); return undefined }
    return v
  }
  arr(o: Record<string, unknown>, key: string, path: string): unknown[] | undefined {
    const v = o[key]
    if (v === undefined || v === null) return undefined
    if (!Array.isArray(v)) { this.error(`${path}/${key}`, 'error.expected.jsarray'); return undefined }
    return v
  }
  stringMap(o: Record<string, unknown>, key: string, path: string): Record<string, string> {
    const v = o[key]
    if (v === undefined || v === null) return {}
    const m = this.obj(v, `${path}/${key}`)
    const out: Record<string, string> = {}
    for (const [k, x] of Object.entries(m ?? {})) {
      if (typeof x === 'string') out[k] = x
      else this.error(`${path}/${key}/${k}`, 'error.expected.jsstring')
    }
    return out
  }
}

/** Reads a schedule (POST/PUT /v1/jobs/{id}/schedules, or an entry of a job's `schedules`). */
export function readSchedule(body: unknown, path = '', r = new Reader(), idOverride?: string): ScheduleSpec | undefined {
  const o = r.obj(body, path || '/')
  if (!o) return undefined
  const id = idOverride ?? r.str(o, 'id', path, true)
  if (id !== undefined && !SCHEDULE_ID.test(id)) r.error(`${path}/id`, `error.pattern: '${id}' must match ${SCHEDULE_ID.source}`)
  const cron = r.str(o, 'cron', path, true)
  if (cron !== undefined) {
    try { parseCron(cron) } catch (err) {
      // Metronome's reader says "Can not read cron expression"; meso adds why.
      r.error(`${path}/cron`, `Can not read cron expression ${JSON.stringify(cron)}: ${(err as CronError).message}`)
    }
  }
  const timezone = r.str(o, 'timezone', path) ?? 'UTC'
  if (!isKnownTimeZone(timezone)) r.error(`${path}/timezone`, `No time zone found with this id: ${JSON.stringify(timezone)}`)
  const startingDeadlineSeconds = r.num(o, 'startingDeadlineSeconds', path, { int: true, min: 1 }) ?? 900
  const policy = r.str(o, 'concurrencyPolicy', path) ?? 'ALLOW'
  if (policy !== 'ALLOW' && policy !== 'FORBID') r.error(`${path}/concurrencyPolicy`, `'${JSON.stringify(policy)}' is not a valid concurrency policy. Allowed values: ALLOW, FORBID`)
  const enabled = r.bool(o, 'enabled', path) ?? true
  if (id === undefined || cron === undefined) return undefined
  return { id, cron: cron.trim(), timezone, startingDeadlineSeconds, concurrencyPolicy: policy as ScheduleSpec['concurrencyPolicy'], enabled }
}

/** A schedule from a request body, or SpecError. */
export function parseSchedule(body: unknown, idOverride?: string): ScheduleSpec {
  const r = new Reader()
  const s = readSchedule(body, '', r, idOverride)
  if (r.details.length || !s) throw new SpecError(r.details.length ? r.details : [{ path: '/', errors: ['error.expected.jsobject'] }])
  return s
}

const RUN_FIELDS = ['args', 'artifacts', 'cmd', 'cpus', 'gpus', 'disk', 'networks', 'ucr', 'docker', 'env', 'maxLaunchDelay', 'mem', 'placement', 'user', 'taskKillGracePeriodSeconds', 'restart', 'volumes', 'secrets']

function readRun(v: unknown, r: Reader): JobRunSpec | undefined {
  const path = '/run'
  const o = r.obj(v, path)
  if (!o) return undefined
  r.only(o, path, RUN_FIELDS)
  const run: JobRunSpec = {
    cpus: r.num(o, 'cpus', path, { min: 0 }) ?? 1,
    mem: r.num(o, 'mem', path, { min: 0 }) ?? 128,
    disk: r.num(o, 'disk', path, { min: 0 }) ?? 0,
    gpus: r.num(o, 'gpus', path, { int: true, min: 0 }) ?? 0,
    env: {},
    placement: { constraints: [] },
    artifacts: [],
    maxLaunchDelay: r.num(o, 'maxLaunchDelay', path, { int: true, min: 1 }) ?? 3600,
    volumes: [],
    restart: { policy: 'NEVER' },
    secrets: {},
    networks: [],
  }
  const cmd = r.str(o, 'cmd', path)
  if (cmd !== undefined) run.cmd = cmd
  const args = r.arr(o, 'args', path)
  if (args) {
    if (args.every(a => typeof a === 'string')) run.args = args as string[]
    else r.error(`${path}/args`, 'error.expected.jsstring')
  }
  const user = r.str(o, 'user', path)
  if (user !== undefined) run.user = user
  const env = o.env === undefined || o.env === null ? {} : r.obj(o.env, `${path}/env`) ?? {}
  for (const [k, x] of Object.entries(env)) {
    if (typeof x === 'string') run.env[k] = x
    else if (x && typeof x === 'object' && typeof (x as { secret?: unknown }).secret === 'string') run.env[k] = { secret: (x as { secret: string }).secret }
    else r.error(`${path}/env/${k}`, 'error.expected.jsstring or {"secret": name}')
  }
  const secrets = o.secrets === undefined || o.secrets === null ? {} : r.obj(o.secrets, `${path}/secrets`) ?? {}
  for (const [k, x] of Object.entries(secrets)) {
    if (x && typeof x === 'object' && typeof (x as { source?: unknown }).source === 'string') run.secrets[k] = { source: (x as { source: string }).source }
    else r.error(`${path}/secrets/${k}`, 'error.path.missing: source')
  }
  if (o.placement !== undefined && o.placement !== null) {
    const p = r.obj(o.placement, `${path}/placement`)
    if (p) {
      r.only(p, `${path}/placement`, ['constraints'])
      for (const [i, c] of (r.arr(p, 'constraints', `${path}/placement`) ?? []).entries()) {
        const cp = `${path}/placement/constraints(${i})`
        const co = r.obj(c, cp)
        if (!co) continue
        r.only(co, cp, ['attribute', 'operator', 'value'])
        const attribute = r.str(co, 'attribute', cp, true)
        const operator = r.str(co, 'operator', cp, true)
        const value = r.str(co, 'value', cp)
        if (operator !== undefined && !['IS', 'EQ', 'LIKE', 'UNLIKE'].includes(operator)) r.error(`${cp}/operator`, `'${JSON.stringify(operator)}' is not a valid operator. Allowed values: IS, EQ, LIKE, UNLIKE`)
        if ((operator === 'LIKE' || operator === 'UNLIKE') && value !== undefined) {
          try { new RegExp(value) } catch { r.error(`${cp}/value`, `'${value}' is not a valid regular expression`) }
        }
        if (value === undefined && operator !== undefined) r.error(`${cp}/value`, `a value is required for operator ${operator}`)
        if (attribute !== undefined && operator !== undefined) run.placement.constraints.push({ attribute, operator: operator as ConstraintSpec['operator'], ...(value !== undefined ? { value } : {}) })
      }
    }
  }
  for (const [i, a] of (r.arr(o, 'artifacts', path) ?? []).entries()) {
    const ap = `${path}/artifacts(${i})`
    const ao = r.obj(a, ap)
    const uri = ao && r.str(ao, 'uri', ap, true)
    if (ao && uri !== undefined) run.artifacts.push({ uri, extract: r.bool(ao, 'extract', ap) ?? true, executable: r.bool(ao, 'executable', ap) ?? false, cache: r.bool(ao, 'cache', ap) ?? false })
  }
  if (o.docker !== undefined && o.docker !== null) {
    const d = r.obj(o.docker, `${path}/docker`)
    const image = d && r.str(d, 'image', `${path}/docker`, true)
    if (d && image !== undefined) {
      run.docker = { image }
      if (r.bool(d, 'privileged', `${path}/docker`)) r.error(`${path}/docker/privileged`, 'privileged containers are not supported by meso')
      if ((r.arr(d, 'parameters', `${path}/docker`) ?? []).length) r.error(`${path}/docker/parameters`, 'docker parameters are not supported: meso runs images with its own containerizer, not the docker daemon')
      const force = r.bool(d, 'forcePullImage', `${path}/docker`)
      if (force !== undefined) run.docker.forcePullImage = force
    }
  }
  if (o.ucr !== undefined && o.ucr !== null) {
    const u = r.obj(o.ucr, `${path}/ucr`)
    const img = u && r.obj(u.image, `${path}/ucr/image`)
    const id = img && r.str(img, 'id', `${path}/ucr/image`, true)
    if (img && id !== undefined) {
      const kind = r.str(img, 'kind', `${path}/ucr/image`) ?? 'docker'
      if (kind !== 'docker') r.error(`${path}/ucr/image/kind`, `image kind '${kind}' is not supported: only docker images`)
      run.ucr = { image: { id, kind, forcePull: r.bool(img, 'forcePull', `${path}/ucr/image`) ?? false } }
      if (r.bool(u!, 'privileged', `${path}/ucr`)) r.error(`${path}/ucr/privileged`, 'privileged containers are not supported by meso')
    }
  }
  for (const [i, v] of (r.arr(o, 'volumes', path) ?? []).entries()) {
    const vp = `${path}/volumes(${i})`
    const vo = r.obj(v, vp)
    if (!vo) continue
    const keys = Object.keys(vo).sort().join(',')
    if (keys === 'containerPath,hostPath,mode') {
      const mode = r.str(vo, 'mode', vp, true)
      if (mode !== 'RO' && mode !== 'RW') r.error(`${vp}/mode`, `'${JSON.stringify(mode)}' is not a valid mode. Allowed values: RO, RW`)
      const containerPath = r.str(vo, 'containerPath', vp, true)
      const hostPath = r.str(vo, 'hostPath', vp, true)
      if (containerPath !== undefined && hostPath !== undefined && (mode === 'RO' || mode === 'RW')) run.volumes.push({ containerPath, hostPath, mode })
    } else if (keys === 'containerPath,secret') {
      const containerPath = r.str(vo, 'containerPath', vp, true)
      const secret = r.str(vo, 'secret', vp, true)
      if (containerPath !== undefined && secret !== undefined) run.volumes.push({ containerPath, secret })
    } else r.error(vp, `expected HostVolume or SecretVolume object but got ${JSON.stringify(vo)}`)
  }
  if (o.restart !== undefined && o.restart !== null) {
    const rp = `${path}/restart`
    const ro = r.obj(o.restart, rp)
    if (ro) {
      r.only(ro, rp, ['policy', 'activeDeadlineSeconds'])
      const policy = r.str(ro, 'policy', rp, true)
      if (policy !== undefined && policy !== 'NEVER' && policy !== 'ON_FAILURE') r.error(`${rp}/policy`, `'${JSON.stringify(policy)}' is not a valid restart policy. Allowed values: NEVER, ON_FAILURE`)
      else if (policy) run.restart.policy = policy as JobRunSpec['restart']['policy']
      const deadline = r.num(ro, 'activeDeadlineSeconds', rp, { int: true, min: 0 })
      if (deadline !== undefined) run.restart.activeDeadlineSeconds = deadline
    }
  }
  const grace = r.num(o, 'taskKillGracePeriodSeconds', path, { min: 0 })
  if (grace !== undefined) run.taskKillGracePeriodSeconds = grace
  for (const [i, n] of (r.arr(o, 'networks', path) ?? []).entries()) {
    const np = `${path}/networks(${i})`
    const no = r.obj(n, np)
    const mode = no && r.str(no, 'mode', np, true)
    if (!no || mode === undefined) continue
    if (!['host', 'container', 'container/bridge'].includes(mode)) r.error(`${np}/mode`, `${mode} is not a valid network mode; expected one of host,container,container/bridge`)
    const name = r.str(no, 'name', np)
    run.networks.push({ mode, ...(name !== undefined ? { name } : {}), labels: r.stringMap(no, 'labels', np) })
  }
  if (run.networks.some(n => n.mode === 'container/bridge')) r.error(`${path}/networks`, 'container/bridge networks are not supported by meso; join a named CNI network with mode container')
  // Metronome's JobRunSpec validators, with its messages.
  const image = run.docker?.image ?? run.ucr?.image.id
  if (!run.cmd && !image) r.error(path, 'Cmd, Docker or UCR image must be specified')
  if (run.docker && run.ucr) r.error(path, 'Either Docker or UCR should be provided, but not both')
  if (run.gpus > 0 && run.docker) r.error(`${path}/gpus`, 'GPUs are not supported with Docker')
  if (run.docker && run.volumes.some(v => 'secret' in v)) r.error(`${path}/volumes`, 'File based secrets are only supported by UCR')
  const modes = new Set(run.networks.map(n => n.mode))
  if (modes.size > 1) r.error(`${path}/networks`, 'You may not mix host, container, or container/bridge networking. Only define one kind of network.')
  if (!image && [...modes].some(m => m !== 'host')) r.error(`${path}/networks`, 'Only containers may join container or bridge networks')
  const referenced = new Set([...Object.values(run.env).flatMap(v => typeof v === 'string' ? [] : [v.secret]), ...run.volumes.flatMap(v => 'secret' in v ? [v.secret] : [])])
  const provided = new Set(Object.keys(run.secrets))
  const undefinedSecrets = [...referenced].filter(s => !provided.has(s))
  const unused = [...provided].filter(s => !referenced.has(s))
  if (undefinedSecrets.length || unused.length) {
    let msg = ''
    if (undefinedSecrets.length) msg += `The following secrets are referenced, but undefined: ${undefinedSecrets.join(', ')}. Please add them to the secrets field.`
    if (unused.length) msg += `The following secrets are defined, but not referenced: ${unused.join(', ')}. Please remove them from the secrets field.`
    r.error(`${path}/secrets`, msg)
  }
  return run
}

/**
 * Reads a job spec from a request body (POST /v1/jobs, PUT /v1/jobs/{id} with `idOverride`), filling Metronome's
 * defaults; throws SpecError with every problem found.
 */
export function parseJobSpec(body: unknown, idOverride?: string): JobSpec {
  const r = new Reader()
  const o = r.obj(body, '/')
  if (!o) throw new SpecError(r.details)
  r.only(o, '', ['id', 'description', 'dependencies', 'labels', 'schedules', 'run'])
  const id = idOverride ?? r.str(o, 'id', '', true)
  if (id !== undefined && (!JOB_ID.test(id) || id.length > MAX_ID_LENGTH)) r.error('/id', `error.pattern: '${id}' must be dot-separated names of lowercase letters, digits and dashes (not at either end), at most ${MAX_ID_LENGTH} characters`)
  const description = r.str(o, 'description', '')
  const dependencies: { id: string }[] = []
  for (const [i, d] of (r.arr(o, 'dependencies', '') ?? []).entries()) {
    const dp = `/dependencies(${i})`
    const dobj = r.obj(d, dp)
    const did = dobj && r.str(dobj, 'id', dp, true)
    if (did !== undefined) dependencies.push({ id: did })
  }
  if (new Set(dependencies.map(d => d.id)).size !== dependencies.length) r.error('/dependencies', 'has double entries')
  const labels = r.stringMap(o, 'labels', '')
  const schedules: ScheduleSpec[] = []
  for (const [i, s] of (r.arr(o, 'schedules', '') ?? []).entries()) {
    const sched = readSchedule(s, `/schedules(${i})`, r)
    if (sched) schedules.push(sched)
  }
  if (schedules.length > 1) r.error('/schedules', 'Only one schedule supported at the moment')
  if (schedules.length && dependencies.length) r.error('/', 'Jobs may not have both dependencies and schedules specified')
  if (o.run === undefined) r.error('/run', 'error.path.missing')
  const run = o.run === undefined ? undefined : readRun(o.run, r)
  if (r.details.length || id === undefined || !run) throw new SpecError(r.details.length ? r.details : [{ path: '/', errors: ['error.expected.jsobject'] }])
  return { id, ...(description !== undefined ? { description } : {}), dependencies, labels, schedules, run }
}
