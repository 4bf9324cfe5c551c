// A Marathon app definition (its AppDefinition / RAML `App`): parsed with Marathon's defaults and validated with
// its rules and messages (validation-issues.ts). The stored, normalized form is also the JSON /v2/apps answers
// (plus the computed fields of services-views.ts), and is itself a valid input: a PUT/PATCH is the stored form with
// the request's fields over it, validated again. Fields meso cannot honour are refused with a 422 detail naming
// them, never dropped. Pure.

import { canonicalPathId, pathIdError } from './path-id.ts'
import { constraintErrors, type Constraint } from './constraints.ts'
import { parseHealthCheck, parseReadinessCheck, type MarathonHealthCheck, type ReadinessCheck } from './health-checks.ts'
import { ValidationError, type Issue } from './validation-issues.ts'

export interface PortDefinition { port: number; protocol: string; name?: string; labels: Record<string, string> }
export interface PortMapping { containerPort: number; hostPort?: number; servicePort: number; protocol: string; name?: string; labels: Record<string, string> }
export interface Network { mode: 'host' | 'container'; name?: string; labels?: Record<string, string> }
export interface FetchUri { uri: string; extract: boolean; executable: boolean; cache: boolean; outputFile?: string }
export type Volume =
  | { containerPath: string; hostPath: string; mode: 'RO' | 'RW' }
  | { containerPath: string; secret: string }
  | PersistentVolume
/** A local persistent volume (Marathon's AppPersistentVolume): reserved and created with the task's resources. */
export interface PersistentVolume { containerPath: string; mode: 'RW'; persistent: { type: 'root'; size: number; constraints: string[][] } }
/** Marathon's AppResidency: both fields are deprecated in Marathon and have no effect there either. */
export interface Residency { relaunchEscalationTimeoutSeconds: number; taskLostBehavior: 'WAIT_FOREVER' }
export interface Container {
  type: 'MESOS' | 'DOCKER'
  docker?: { image: string; forcePullImage: boolean; credential?: unknown }
  volumes: Volume[]
  portMappings: PortMapping[]
}
export type UnreachableStrategy = 'disabled' | { inactiveAfterSeconds: number; expungeAfterSeconds: number }
export type KillSelection = 'YOUNGEST_FIRST' | 'OLDEST_FIRST'

export interface AppDefinition {
  id: string
  cmd?: string
  args?: string[]
  user?: string
  env: Record<string, string | { secret: string }>
  secrets: Record<string, { source: string }>
  instances: number
  cpus: number
  mem: number
  disk: number
  gpus: number
  executor: string
  constraints: Constraint[]
  fetch: FetchUri[]
  backoffSeconds: number
  backoffFactor: number
  maxLaunchDelaySeconds: number
  container?: Container
  networks: Network[]
  portDefinitions: PortDefinition[]
  requirePorts: boolean
  healthChecks: MarathonHealthCheck[]
  readinessChecks: ReadinessCheck[]
  dependencies: string[]
  upgradeStrategy: { minimumHealthCapacity: number; maximumOverCapacity: number }
  labels: Record<string, string>
  acceptedResourceRoles?: string[]
  killSelection: KillSelection
  unreachableStrategy: UnreachableStrategy
  taskKillGracePeriodSeconds?: number
  role: string
  /** Set for apps with persistent volumes (resident apps, resident.ts). */
  residency?: Residency
  /** The version this definition is (an ISO time), and when its config and its scale last changed. */
  version: string
  versionInfo: { lastScalingAt: string; lastConfigChangeAt: string }
}

/** The largest instance count accepted (a typo guard: each instance is a task record). */
export const MAX_INSTANCES = 10_000

/** Fields a client may send back from a GET (marathon-python's update_app does): read-only, ignored. */
const READ_ONLY = new Set(['version', 'versionInfo', 'tasksStaged', 'tasksRunning', 'tasksHealthy', 'tasksUnhealthy', 'deployments', 'tasks', 'lastTaskFailure', 'readinessCheckResults', 'taskStats', 'ipAddress', 'storeUrls', 'uris', 'ports', 'servicePorts', 'queue'])
const FIELDS = new Set(['id', 'cmd', 'args', 'user', 'env', 'secrets', 'instances', 'cpus', 'mem', 'disk', 'gpus', 'executor', 'constraints', 'fetch', 'backoffSeconds', 'backoffFactor', 'maxLaunchDelaySeconds', 'container', 'networks', 'portDefinitions', 'requirePorts', 'healthChecks', 'readinessChecks', 'dependencies', 'upgradeStrategy', 'labels', 'acceptedResourceRoles', 'killSelection', 'unreachableStrategy', 'taskKillGracePeriodSeconds', 'role', 'residency', 'check', 'resourceLimits', 'tty', 'networkBandwidth'])
/** Marathon fields meso does not implement: refused, with the reason. */
const UNSUPPORTED: Record<string, string> = {
  check: 'app checks are not supported; use healthChecks or readinessChecks',
  resourceLimits: 'resourceLimits are not supported by meso\'s services scheduler',
  networkBandwidth: 'networkBandwidth is not supported',
}

const isObj = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v)
const isStringMap = (v: unknown) => isObj(v) && Object.values(v).every(x => typeof x === 'string')
const fmt = (n: unknown) => (typeof n === 'number' && Number.isInteger(n) ? `${n}.0` : JSON.stringify(n))

function parsePortDefinitions(raw: unknown, issues: Issue[]): PortDefinition[] {
  if (!Array.isArray(raw)) { issues.push({ path: '/portDefinitions', errors: ['expected an array'] }); return [] }
  const out: PortDefinition[] = []
  raw.forEach((p, i) => {
    const at = `/portDefinitions(${i})`
    if (!isObj(p)) { issues.push({ path: at, errors: ['expected an object'] }); return }
    const port = p.port ?? 0
    if (!Number.isInteger(port) || port < 0 || port > 65535) issues.push({ path: `${at}/port`, errors: [`got ${port}, expected between 0 and 65535`] })
    const protocol = p.protocol ?? 'tcp'
    if (!['tcp', 'udp', 'udp,tcp', 'tcp,udp'].includes(protocol)) issues.push({ path: `${at}/protocol`, errors: ['is not one of (tcp, udp, udp,tcp)'] })
    if (p.name !== undefined && (typeof p.name !== 'string' || !/^[a-z0-9-]+$/.test(p.name))) issues.push({ path: `${at}/name`, errors: ['must fully match regular expression \'^[a-z0-9-]+$\''] })
    if (p.labels !== undefined && !isStringMap(p.labels)) issues.push({ path: `${at}/labels`, errors: ['expected string values'] })
    out.push({ port, protocol, ...(p.name !== undefined ? { name: p.name } : {}), labels: p.labels ?? {} })
  })
  const fixed = out.map(p => p.port).filter(p => p !== 0)
  if (new Set(fixed).size !== fixed.length) issues.push({ path: '/portDefinitions', errors: ['Ports must be unique.'] })
  const names = out.flatMap(p => p.name ? [p.name] : [])
  if (new Set(names).size !== names.length) issues.push({ path: '/portDefinitions', errors: ['Port names must be unique.'] })
  return out
}

function parsePortMappings(raw: unknown, at: string, issues: Issue[]): PortMapping[] {
  if (!Array.isArray(raw)) { issues.push({ path: at, errors: ['expected an array'] }); return [] }
  return raw.flatMap((m, i) => {
    const p = `${at}(${i})`
    if (!isObj(m)) { issues.push({ path: p, errors: ['expected an object'] }); return [] }
    const inRange = (k: string, v: unknown) => { if (!Number.isInteger(v) || (v as number) < 0 || (v as number) > 65535) issues.push({ path: `${p}/${k}`, errors: [`got ${v}, expected between 0 and 65535`] }) }
    const containerPort = m.containerPort ?? 0
    inRange('containerPort', containerPort)
    if (m.hostPort !== undefined) inRange('hostPort', m.hostPort)
    const servicePort = m.servicePort ?? 0
    inRange('servicePort', servicePort)
    const protocol = m.protocol ?? 'tcp'
    if (!['tcp', 'udp', 'udp,tcp', 'tcp,udp'].includes(protocol)) issues.push({ path: `${p}/protocol`, errors: ['is not one of (tcp, udp, udp,tcp)'] })
    if (m.networkNames !== undefined && (!Array.isArray(m.networkNames) || m.networkNames.length > 1)) issues.push({ path: `${p}/networkNames`, errors: ['meso supports one container network per app'] })
    return [{ containerPort, ...(m.hostPort !== undefined ? { hostPort: m.hostPort } : {}), servicePort, protocol, ...(m.name !== undefined ? { name: String(m.name) } : {}), labels: isStringMap(m.labels) ? m.labels : {} }]
  })
}

function parseContainer(raw: unknown, issues: Issue[], secrets: Record<string, unknown>): Container | undefined {
  if (raw === undefined || raw === null) return undefined
  if (!isObj(raw)) { issues.push({ path: '/container', errors: ['expected an object'] }); return undefined }
  const type = raw.type ?? 'MESOS'
  if (type !== 'MESOS' && type !== 'DOCKER') issues.push({ path: '/container/type', errors: [`meso runs MESOS (and DOCKER, as MESOS with the image) containers, not ${type}`] })
  const c: Container = { type, volumes: [], portMappings: [] }
  if (raw.docker !== undefined) {
    const d = raw.docker
    if (!isObj(d) || typeof d.image !== 'string' || !d.image) issues.push({ path: '/container/docker/image', errors: ['must not be empty'] })
    else {
      if (d.privileged) issues.push({ path: '/container/docker/privileged', errors: ['privileged containers are not supported by meso\'s containerizer'] })
      if (Array.isArray(d.parameters) && d.parameters.length) issues.push({ path: '/container/docker/parameters', errors: ['docker parameters need the Docker containerizer, which meso does not have'] })
      if (d.network !== undefined && d.network !== 'HOST') issues.push({ path: '/container/docker/network', errors: ['use "networks" (host, or container with a CNI network name)'] })
      if (d.portMappings !== undefined) c.portMappings = parsePortMappings(d.portMappings, '/container/docker/portMappings', issues)
      c.docker = { image: d.image, forcePullImage: Boolean(d.forcePullImage ?? d.forcePull ?? false), ...(d.credential !== undefined ? { credential: d.credential } : {}) }
      if (d.credential !== undefined || d.pullConfig !== undefined) issues.push({ path: '/container/docker', errors: ['registry credentials per app are not supported; configure them on the agents'] })
    }
  } else if (type === 'DOCKER') issues.push({ path: '/container/docker', errors: ['DOCKER containers need a docker image'] })
  if (raw.portMappings !== undefined) c.portMappings = parsePortMappings(raw.portMappings, '/container/portMappings', issues)
  if (raw.volumes !== undefined) {
    if (!Array.isArray(raw.volumes)) issues.push({ path: '/container/volumes', errors: ['expected an array'] })
    else raw.volumes.forEach((v: any, i: number) => {
      const at = `/container/volumes(${i})`
      if (!isObj(v) || typeof v.containerPath !== 'string' || !v.containerPath) { issues.push({ path: `${at}/containerPath`, errors: ['must not be empty'] }); return }
      if (v.persistent !== undefined) { const pv = parsePersistentVolume(v, at, issues); if (pv) c.volumes.push(pv); return }
      if (v.external !== undefined) { issues.push({ path: `${at}/external`, errors: ['external volumes are not supported'] }); return }
      if (typeof v.secret === 'string') {
        if (!(v.secret in secrets)) issues.push({ path: `${at}/secret`, errors: [`references an undefined secret named '${v.secret}'`] })
        c.volumes.push({ containerPath: v.containerPath, secret: v.secret })
        return
      }
      if (typeof v.hostPath !== 'string' || !v.hostPath) { issues.push({ path: `${at}/hostPath`, errors: ['must not be empty'] }); return }
      const mode = v.mode ?? 'RW'
      if (mode !== 'RO' && mode !== 'RW') issues.push({ path: `${at}/mode`, errors: ['expected RO or RW'] })
      c.volumes.push({ containerPath: v.containerPath, hostPath: v.hostPath, mode })
    })
  }
  return c
}

/** Marathon's validPersistentVolume; only `root` disks, since meso agents offer no PATH or MOUNT disk sources. */
function parsePersistentVolume(v: Record<string, any>, at: string, issues: Issue[]): PersistentVolume | undefined {
  const before = issues.length
  const path = v.containerPath as string
  if (path === '.' || path === '..') issues.push({ path: `${at}/containerPath`, errors: ['must not be one of (., ..)'] })
  if (path.includes('/')) issues.push({ path: `${at}/containerPath`, errors: ['value must not contain "/"'] })
  if ((v.mode ?? 'RW') !== 'RW') issues.push({ path: `${at}/mode`, errors: ['got RO, expected RW'] })
  const p = v.persistent
  if (!isObj(p)) { issues.push({ path: `${at}/persistent`, errors: ['expected an object'] }); return undefined }
  const type = p.type ?? 'root'
  if (type === 'path' || type === 'mount') issues.push({ path: `${at}/persistent/type`, errors: [`${type} disks are not supported: meso agents offer only the root disk (no PATH or MOUNT disk sources)`] })
  else if (type !== 'root') issues.push({ path: `${at}/persistent/type`, errors: ['is not one of (root, path, mount)'] })
  if (typeof p.size !== 'number' || !Number.isInteger(p.size)) issues.push({ path: `${at}/persistent/size`, errors: ['expected a whole number (MiB)'] })
  else if (p.size <= 0) issues.push({ path: `${at}/persistent/size`, errors: [`got ${p.size}, expected more than 0`] })
  if (p.maxSize !== undefined) issues.push({ path: `${at}/persistent`, errors: ['Only mount volumes can have maxSize'] })
  if (p.profileName !== undefined) issues.push({ path: `${at}/persistent/profileName`, errors: ['volume profiles need resource providers, which meso agents do not have'] })
  if (p.constraints !== undefined && (!Array.isArray(p.constraints) || p.constraints.length)) issues.push({ path: `${at}/persistent`, errors: ['Constraints on root volumes are not supported'] })
  for (const k of Object.keys(p)) if (!['type', 'size', 'maxSize', 'profileName', 'constraints'].includes(k)) issues.push({ path: `${at}/persistent/${k}`, errors: ['Unknown property'] })
  if (issues.length > before) return undefined
  return { containerPath: path, mode: 'RW', persistent: { type: 'root', size: p.size, constraints: [] } }
}

function parseFetch(raw: Record<string, any>, issues: Issue[]): FetchUri[] {
  if (raw.fetch !== undefined) {
    if (!Array.isArray(raw.fetch)) { issues.push({ path: '/fetch', errors: ['expected an array'] }); return [] }
    return raw.fetch.flatMap((f: any, i: number) => {
      if (!isObj(f) || typeof f.uri !== 'string' || !f.uri) { issues.push({ path: `/fetch(${i})/uri`, errors: ['must not be empty'] }); return [] }
      return [{ uri: f.uri, extract: f.extract ?? true, executable: f.executable ?? false, cache: f.cache ?? false, ...(f.outputFile !== undefined ? { outputFile: String(f.outputFile) } : {}) }]
    })
  }
  // The legacy `uris`: archives are extracted, as Marathon does.
  if (Array.isArray(raw.uris)) return raw.uris.filter((u: unknown) => typeof u === 'string').map((uri: string) => ({ uri, extract: /\.(tgz|tar\.gz|tbz2|tar\.bz2|txz|tar\.xz|zip)$/.test(uri), executable: false, cache: false }))
  return []
}

/**
 * Parses and validates an app definition. `base` resolves a relative id (the group a /v2/groups body puts it in);
 * `pathId` is the id from the URL of a PUT, which a body id must agree with.
 */
export function parseApp(raw: unknown, opts: { pathId?: string; base?: string; now: string; previous?: AppDefinition } ): AppDefinition {
  const issues: Issue[] = []
  if (!isObj(raw)) throw new ValidationError([{ path: '/', errors: ['expected a JSON object'] }])
  for (const k of Object.keys(raw)) {
    if (UNSUPPORTED[k] !== undefined && raw[k] !== null) issues.push({ path: `/${k}`, errors: [UNSUPPORTED[k]!] })
    else if (!FIELDS.has(k) && !READ_ONLY.has(k)) issues.push({ path: `/${k}`, errors: ['Unknown property'] })
  }
  const rawId = raw.id ?? opts.pathId
  let id = '/'
  if (typeof rawId !== 'string') issues.push({ path: '/id', errors: ['error.path.missing'] })
  else {
    const err = pathIdError(rawId)
    const canonical = err ? undefined : canonicalPathId(rawId, opts.base)
    if (err) issues.push({ path: '/id', errors: [err] })
    else if (!canonical || canonical === '/') issues.push({ path: '/id', errors: ['Path must contain at least one path element'] })
    else id = canonical
  }
  if (opts.pathId && id !== '/' && id !== opts.pathId) issues.push({ path: '/id', errors: [`The id in the request body (${id}) does not match the id in the URL (${opts.pathId})`] })

  const num = (k: string, dflt: number, min: number, integer = false) => {
    const v = raw[k] ?? dflt
    if (typeof v !== 'number' || !Number.isFinite(v) || (integer && !Number.isInteger(v))) { issues.push({ path: `/${k}`, errors: [`expected a ${integer ? 'whole ' : ''}number`] }); return dflt }
    if (v < min) issues.push({ path: `/${k}`, errors: [`got ${integer ? v : fmt(v)}, expected ${integer ? min : fmt(min)} or more`] })
    return v
  }
  const instances = num('instances', 1, 0, true)
  if (instances > MAX_INSTANCES) issues.push({ path: '/instances', errors: [`got ${instances}, expected ${MAX_INSTANCES} or less`] })
  const cpus = num('cpus', 1, 0)
  const mem = num('mem', 128, 0)
  const disk = num('disk', 0, 0)
  const gpus = num('gpus', 0, 0, true)
  const backoffSeconds = num('backoffSeconds', 1, 0)
  const backoffFactor = num('backoffFactor', 1.15, 1)
  const maxLaunchDelaySeconds = num('maxLaunchDelaySeconds', 300, 0)

  if (raw.cmd !== undefined && raw.cmd !== null && (typeof raw.cmd !== 'string' || !raw.cmd)) issues.push({ path: '/cmd', errors: ['must not be empty'] })
  if (raw.args !== undefined && raw.args !== null && (!Array.isArray(raw.args) || !raw.args.every((a: unknown) => typeof a === 'string'))) issues.push({ path: '/args', errors: ['expected an array of strings'] })
  const cmd = typeof raw.cmd === 'string' && raw.cmd ? raw.cmd : undefined
  const args = Array.isArray(raw.args) && raw.args.length ? raw.args as string[] : undefined

  const secrets: Record<string, { source: string }> = {}
  if (raw.secrets !== undefined) {
    if (!isObj(raw.secrets)) issues.push({ path: '/secrets', errors: ['expected an object'] })
    else for (const [name, s] of Object.entries(raw.secrets)) {
      if (!isObj(s) || typeof s.source !== 'string' || !s.source) issues.push({ path: `/secrets/${name}/source`, errors: ['must not be empty'] })
      else secrets[name] = { source: s.source }
    }
  }
  const env: Record<string, string | { secret: string }> = {}
  if (raw.env !== undefined) {
    if (!isObj(raw.env)) issues.push({ path: '/env', errors: ['expected an object'] })
    else for (const [k, v] of Object.entries(raw.env)) {
      if (typeof v === 'string') env[k] = v
      else if (isObj(v) && typeof v.secret === 'string') {
        if (!(v.secret in secrets)) issues.push({ path: `/env/${k}`, errors: [`references an undefined secret named '${v.secret}'`] })
        env[k] = { secret: v.secret }
      } else issues.push({ path: `/env/${k}`, errors: ['expected a string or {"secret": name}'] })
    }
  }
  const container = parseContainer(raw.container, issues, secrets)
  if (!cmd && !args && !container?.docker) issues.push({ path: '/', errors: ["AppDefinition must either contain one of 'cmd' or 'args', and/or a 'container'."] })
  if (cmd && args) issues.push({ path: '/', errors: ["AppDefinition must either contain one of 'cmd' or 'args', and/or a 'container'."] })

  let networks: Network[] = [{ mode: 'host' }]
  if (raw.networks !== undefined) {
    if (!Array.isArray(raw.networks) || !raw.networks.length) issues.push({ path: '/networks', errors: ['expected a non-empty array'] })
    else {
      networks = []
      raw.networks.forEach((n: any, i: number) => {
        const mode = n?.mode ?? 'container'
        if (mode === 'host') networks.push({ mode: 'host' })
        else if (mode === 'container') {
          if (typeof n.name !== 'string' || !n.name) issues.push({ path: `/networks(${i})/name`, errors: ['container networks need the name of a CNI network configured on the agents'] })
          else networks.push({ mode: 'container', name: n.name, ...(isStringMap(n.labels) ? { labels: n.labels } : {}) })
        } else issues.push({ path: `/networks(${i})/mode`, errors: [mode === 'container/bridge' ? 'container/bridge networking is not supported by meso; use a named CNI network (mode "container")' : `unknown network mode ${JSON.stringify(mode)}`] })
      })
      if (networks.length > 1) issues.push({ path: '/networks', errors: ['meso supports one network per app'] })
      if (networks.some(n => n.mode === 'host') && networks.length > 1) issues.push({ path: '/networks', errors: ['host networking may not be mixed with other networks'] })
    }
  }
  if (!container && networks[0]?.mode === 'container') issues.push({ path: '/networks', errors: ['container networking requires a container'] })
  const hostNetworking = networks[0]?.mode !== 'container'
  if (hostNetworking && container?.portMappings.length) issues.push({ path: '/container/portMappings', errors: ['portMappings are only allowed with container networking'] })

  let portDefinitions: PortDefinition[] = []
  if (raw.portDefinitions !== undefined) portDefinitions = parsePortDefinitions(raw.portDefinitions, issues)
  else if (Array.isArray(raw.ports)) portDefinitions = parsePortDefinitions(raw.ports.map((port: unknown) => ({ port })), issues)
  else if (hostNetworking) portDefinitions = [{ port: 0, protocol: 'tcp', name: 'default', labels: {} }]
  if (!hostNetworking && raw.portDefinitions !== undefined && portDefinitions.length) issues.push({ path: '/portDefinitions', errors: ['portDefinitions are only allowed with host networking'] })
  if (!hostNetworking) portDefinitions = []
  const requirePorts = Boolean(raw.requirePorts ?? false)
  if (requirePorts && portDefinitions.some(p => p.port === 0)) issues.push({ path: '/portDefinitions', errors: ['requirePorts needs fixed, non-zero ports'] })

  const portCount = hostNetworking ? portDefinitions.length : container?.portMappings.length ?? 0
  const portNames = hostNetworking ? portDefinitions.flatMap(p => p.name ? [p.name] : []) : (container?.portMappings ?? []).flatMap(p => p.name ? [p.name] : [])
  const healthChecks: MarathonHealthCheck[] = []
  if (raw.healthChecks !== undefined) {
    if (!Array.isArray(raw.healthChecks)) issues.push({ path: '/healthChecks', errors: ['expected an array'] })
    else {
      raw.healthChecks.forEach((h: unknown, i: number) => { const hc = parseHealthCheck(h, `/healthChecks(${i})`, issues, portCount); if (hc) healthChecks.push(hc) })
      if (raw.healthChecks.length > 1) issues.push({ path: '/healthChecks', errors: ['meso runs one health check per task (Mesos TaskInfo.health_check); give one'] })
    }
  }
  const readinessChecks: ReadinessCheck[] = []
  if (raw.readinessChecks !== undefined) {
    if (!Array.isArray(raw.readinessChecks)) issues.push({ path: '/readinessChecks', errors: ['expected an array'] })
    else {
      raw.readinessChecks.forEach((r: unknown, i: number) => { const rc = parseReadinessCheck(r, `/readinessChecks(${i})`, issues, portNames); if (rc) readinessChecks.push(rc) })
      if (raw.readinessChecks.length > 1) issues.push({ path: '/readinessChecks', errors: ['Only one readinessCheck is supported'] })
    }
  }

  const constraints: Constraint[] = []
  if (raw.constraints !== undefined) {
    if (!Array.isArray(raw.constraints)) issues.push({ path: '/constraints', errors: ['expected an array'] })
    else raw.constraints.forEach((c: unknown, i: number) => {
      const errs = constraintErrors(c)
      if (errs.length) issues.push({ path: `/constraints(${i})`, errors: errs })
      else constraints.push(c as Constraint)
    })
  }

  // Resident apps (persistent volumes) have Marathon's UpgradeStrategy.forResidentTasks by default: old tasks must
  // be killed before new ones can take over their reservations and volumes.
  const resident = (container?.volumes ?? []).some(isPersistentVolume)
  const us = raw.upgradeStrategy ?? {}
  const upgradeStrategy = { minimumHealthCapacity: us.minimumHealthCapacity ?? (resident ? 0.5 : 1), maximumOverCapacity: us.maximumOverCapacity ?? (resident ? 0 : 1) }
  for (const k of ['minimumHealthCapacity', 'maximumOverCapacity'] as const) {
    const v = upgradeStrategy[k]
    if (typeof v !== 'number' || v < 0 || v > 1) issues.push({ path: `/upgradeStrategy/${k}`, errors: [`got ${fmt(v)}, expected between 0.0 and 1.0`] })
  }

  if (resident && typeof upgradeStrategy.maximumOverCapacity === 'number' && upgradeStrategy.maximumOverCapacity !== 0) issues.push({ path: '/upgradeStrategy/maximumOverCapacity', errors: [`got ${fmt(upgradeStrategy.maximumOverCapacity)}, expected 0.0`] })
  const residency = parseResidency(raw.residency, resident, issues)

  const killSelection = raw.killSelection ?? 'YOUNGEST_FIRST'
  if (killSelection !== 'YOUNGEST_FIRST' && killSelection !== 'OLDEST_FIRST') issues.push({ path: '/killSelection', errors: ['error.unknown.enum.value: expected YOUNGEST_FIRST or OLDEST_FIRST'] })
  let unreachableStrategy: UnreachableStrategy = resident ? 'disabled' : { inactiveAfterSeconds: 0, expungeAfterSeconds: 0 }
  if (raw.unreachableStrategy === 'disabled') unreachableStrategy = 'disabled'
  else if (raw.unreachableStrategy !== undefined) {
    const u = raw.unreachableStrategy
    if (!isObj(u)) issues.push({ path: '/unreachableStrategy', errors: ['expected "disabled" or an object'] })
    else {
      unreachableStrategy = { inactiveAfterSeconds: u.inactiveAfterSeconds ?? 0, expungeAfterSeconds: u.expungeAfterSeconds ?? 0 }
      if (!Number.isInteger(unreachableStrategy.inactiveAfterSeconds) || unreachableStrategy.inactiveAfterSeconds < 0) issues.push({ path: '/unreachableStrategy/inactiveAfterSeconds', errors: ['got a negative number, expected 0 or more'] })
      if (!Number.isInteger(unreachableStrategy.expungeAfterSeconds) || unreachableStrategy.expungeAfterSeconds < unreachableStrategy.inactiveAfterSeconds) issues.push({ path: '/unreachableStrategy/expungeAfterSeconds', errors: ['expungeAfterSeconds must be greater than or equal to inactiveAfterSeconds'] })
    }
  }

  if (resident && unreachableStrategy !== 'disabled') issues.push({ path: '/', errors: ['unreachableStrategy must be disabled for resident tasks'] })

  const labels = raw.labels ?? {}
  if (!isStringMap(labels)) issues.push({ path: '/labels', errors: ['expected an object with string values'] })
  const dependencies = raw.dependencies ?? []
  if (!Array.isArray(dependencies)) issues.push({ path: '/dependencies', errors: ['expected an array'] })
  else if (dependencies.length) issues.push({ path: '/dependencies', errors: ['app dependencies (ordered deployment steps) are not supported by meso\'s services scheduler'] })
  const executor = raw.executor ?? ''
  if (executor !== '' && executor !== '//cmd') issues.push({ path: '/executor', errors: ['meso runs apps with its own executors; custom executors are not supported'] })
  if (raw.tty === true) issues.push({ path: '/tty', errors: ['tty is not supported for services'] })
  const role = raw.role ?? '*'
  if (typeof role !== 'string' || !/^(\*|[a-zA-Z0-9_][a-zA-Z0-9_.\-/]*)$/.test(role)) issues.push({ path: '/role', errors: ['invalid role name'] })
  if (raw.acceptedResourceRoles !== undefined && (!Array.isArray(raw.acceptedResourceRoles) || !raw.acceptedResourceRoles.length || !raw.acceptedResourceRoles.every((r: unknown) => r === '*' || r === role))) {
    issues.push({ path: '/acceptedResourceRoles', errors: [`acceptedResourceRoles can only contain * and ${role}`] })
  }
  if (resident && role === '*') issues.push({ path: '/role', errors: ['Resident apps cannot have the role *'] })
  if (resident && Array.isArray(raw.acceptedResourceRoles) && (raw.acceptedResourceRoles.length !== 1 || raw.acceptedResourceRoles[0] !== '*')) issues.push({ path: '/acceptedResourceRoles', errors: ['A resident app must have `acceptedResourceRoles = ["*"]`.'] })
  if (raw.user !== undefined && raw.user !== null && (typeof raw.user !== 'string' || !raw.user)) issues.push({ path: '/user', errors: ['must not be empty'] })
  const grace = raw.taskKillGracePeriodSeconds
  if (grace !== undefined && grace !== null && (typeof grace !== 'number' || grace < 0)) issues.push({ path: '/taskKillGracePeriodSeconds', errors: ['expected 0 or more'] })
  const fetch = parseFetch(raw, issues)

  if (issues.length) throw new ValidationError(issues)
  const app: AppDefinition = {
    id, ...(cmd ? { cmd } : {}), ...(args ? { args } : {}), ...(typeof raw.user === 'string' ? { user: raw.user } : {}),
    env, secrets, instances, cpus, mem, disk, gpus, executor, constraints, fetch, backoffSeconds, backoffFactor, maxLaunchDelaySeconds,
    ...(container ? { container } : {}), networks, portDefinitions, requirePorts, healthChecks, readinessChecks, dependencies: [],
    upgradeStrategy, labels, ...(raw.acceptedResourceRoles ? { acceptedResourceRoles: raw.acceptedResourceRoles } : {}),
    killSelection, unreachableStrategy, ...(typeof grace === 'number' ? { taskKillGracePeriodSeconds: grace } : {}), role,
    ...(residency ? { residency } : {}),
    version: opts.now, versionInfo: { lastScalingAt: opts.now, lastConfigChangeAt: opts.now },
  }
  if (opts.previous && (resident || isResident(opts.previous))) {
    const changed = residentChangeIssues(opts.previous, app)
    if (changed.length) throw new ValidationError(changed)
  }
  if (opts.previous) {
    // Marathon's versionInfo: a change of instances alone is a scaling, which keeps lastConfigChangeAt (and so the
    // tasks, which are not restarted).
    const onlyScaled = sameConfig(app, opts.previous)
    app.versionInfo = { lastScalingAt: opts.now, lastConfigChangeAt: onlyScaled ? opts.previous.versionInfo.lastConfigChangeAt : opts.now }
  }
  return app
}

export const isPersistentVolume = (v: Volume): v is PersistentVolume => 'persistent' in v

/** Whether the app has persistent volumes (Marathon's isResident): its tasks are pinned to their reservations. */
export function isResident(app: AppDefinition): boolean {
  return (app.container?.volumes ?? []).some(isPersistentVolume)
}

export function persistentVolumes(app: AppDefinition): PersistentVolume[] {
  return (app.container?.volumes ?? []).filter(isPersistentVolume)
}

function parseResidency(raw: unknown, resident: boolean, issues: Issue[]): Residency | undefined {
  if (raw === undefined || raw === null) return resident ? { relaunchEscalationTimeoutSeconds: 3600, taskLostBehavior: 'WAIT_FOREVER' } : undefined
  if (!resident) { issues.push({ path: '/residency', errors: ['residency needs persistent volumes (container.volumes[].persistent)'] }); return undefined }
  if (!isObj(raw)) { issues.push({ path: '/residency', errors: ['expected an object'] }); return undefined }
  const timeout = raw.relaunchEscalationTimeoutSeconds ?? 3600
  if (!Number.isInteger(timeout) || timeout < 0) issues.push({ path: '/residency/relaunchEscalationTimeoutSeconds', errors: ['expected a whole number, 0 or more'] })
  const behavior = raw.taskLostBehavior ?? 'WAIT_FOREVER'
  if (behavior === 'RELAUNCH_AFTER_TIMEOUT') issues.push({ path: '/residency/taskLostBehavior', errors: ['RELAUNCH_AFTER_TIMEOUT is not supported: a resident task waits for its agent (wipe it to relaunch it elsewhere)'] })
  else if (behavior !== 'WAIT_FOREVER') issues.push({ path: '/residency/taskLostBehavior', errors: ['is not one of (WAIT_FOREVER, RELAUNCH_AFTER_TIMEOUT)'] })
  for (const k of Object.keys(raw)) if (k !== 'relaunchEscalationTimeoutSeconds' && k !== 'taskLostBehavior') issues.push({ path: `/residency/${k}`, errors: ['Unknown property'] })
  return { relaunchEscalationTimeoutSeconds: timeout, taskLostBehavior: 'WAIT_FOREVER' }
}

const RESOURCES_CHANGED = 'Services with persistent volumes configured may not change resource requirements. If you need to make this change, please create a new service.'

/** Marathon's residentUpdateIsValid: a resident app keeps its volumes, resources and host ports (its reservations). */
export function residentChangeIssues(from: AppDefinition, to: AppDefinition): Issue[] {
  const issues: Issue[] = []
  const a = persistentVolumes(from)
  const b = persistentVolumes(to)
  if (a.length !== b.length || !a.every(v => { const w = b.find(x => x.containerPath === v.containerPath); return w !== undefined && JSON.stringify(w) === JSON.stringify(v) })) {
    issues.push({ path: '/', errors: ['Persistent volumes can not be changed!'] })
  }
  for (const k of ['cpus', 'mem', 'disk', 'gpus', 'requirePorts'] as const) if (from[k] !== to[k]) issues.push({ path: `/${k}`, errors: [RESOURCES_CHANGED] })
  const ports = (x: AppDefinition) => [...new Set(hostPortsWanted(x).filter(p => p !== 0))].sort().join(',')
  if (ports(from) !== ports(to)) issues.push({ path: '/', errors: ['Services with persistent volumes configured may not change host ports. If you need to make this change, please create a new service.'] })
  return issues
}

/** Whether two definitions differ in nothing but instances (and their versions). */
export function sameConfig(a: AppDefinition, b: AppDefinition): boolean {
  const strip = (x: AppDefinition) => JSON.stringify({ ...x, instances: 0, version: '', versionInfo: null })
  return strip(a) === strip(b)
}

/** Service ports (Marathon assigns them from 10000 for port 0; meso has no load balancer that uses them). */
export function servicePorts(app: AppDefinition): number[] {
  const hostNetworking = app.networks[0]?.mode !== 'container'
  return hostNetworking ? app.portDefinitions.map(p => p.port) : (app.container?.portMappings ?? []).map(m => m.servicePort)
}

/** How many host ports a task of the app needs (and the fixed ones, 0 for any). */
export function hostPortsWanted(app: AppDefinition): number[] {
  const hostNetworking = app.networks[0]?.mode !== 'container'
  if (hostNetworking) return app.portDefinitions.map(p => (app.requirePorts ? p.port : 0))
  return (app.container?.portMappings ?? []).flatMap(m => (m.hostPort === undefined ? [] : [m.hostPort]))
}
