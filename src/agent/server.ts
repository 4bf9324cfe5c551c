// Starts an agent: picks the launcher, makes the isolators and the containerizer, detects resources, binds the HTTP
// server (operator and executor APIs, v0 endpoints, /files) and connects to the master. Authentication (Basic from
// --http_credentials, executor tokens signed with --jwt_secret_key), the containers gate and the local authorizer
// (--acls) are wired to the endpoints here (docs/security-auth.md, authorization.ts).

import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs'
import { homedir } from 'node:os'
import { basename, dirname, join, resolve } from 'node:path'
import { basicHeader, challenges, executorClaims, guard, parseCredential, parseCredentials, signJwt, type Authenticators } from '../core/auth.ts'
import { RequestAuthz } from '../core/authz/request.ts'
import { aclsFromFlag } from '../core/authz/acls.ts'
import { FileServer, LogBuffer } from '../core/files.ts'
import { Router } from '../core/http/router.ts'
import { serveOptions } from '../core/http/server-limits.ts'
import { json, text } from '../core/http/responses.ts'
import { logger, onLogLine } from '../core/log.ts'
import { httpScheme, serverTls } from '../core/tls.ts'
import { versionInfo } from '../core/version.ts'
import { Agent } from './agent.ts'
import { Containerizer } from './containerizer/containerizer.ts'
import type { Launcher } from './containerizer/launcher.ts'
import type { CniIsolator } from './isolators/network/cni/cni-isolator.ts'
import { authorizeFile, needsPrincipal, type AgentCaller } from './authorization.ts'
import { handleExecutorCall } from './executor-api.ts'
import { containerCalls } from './container-api.ts'
import type { AgentFlags } from './flags.ts'
import { logRotationOf } from './io/logrotate-policy.ts'
import { handleAgentOperatorCall, type ContainerCallHandler } from './operator-api.ts'
import { detectResources, parseAttributes } from './resources-detect.ts'
import { agentMetrics, containersV0, monitorStatisticsV0, stateV0, writeContainersV0, writeMonitorStatisticsV0, writeStateV0 } from './views.ts'
import { writeMetricsSnapshot, writeVersion } from '../core/json/v0-json.ts'
import { mesoStateDir } from '../core/state-dir.ts'
import { agentPrometheus } from './metrics.ts'
import { vipsHandler } from './l4lb/l4lb.ts'

const log = logger('agent')

export interface RunningAgent {
  agent: Agent
  server: import('bun').Server<undefined>
  url: string
  stop(): Promise<void>
}

export function defaultAgentWorkDir(): string {
  return join(mesoStateDir(), 'agent')
}

/** Picks the launcher: --launcher, else linux when it can work here, else posix (with one clear line why). */
export async function chooseLauncher(flags: AgentFlags, runtimeDir: string, hidden: readonly string[] = []): Promise<Launcher> {
  const { PosixLauncher } = await import('./containerizer/posix-launcher.ts')
  const posix = () => new PosixLauncher(runtimeDir, flags.switch_user, logRotationOf(flags))
  if (flags.launcher === 'posix') return posix()
  const linux = await import('./containerizer/linux-launcher.ts')
  const problem = linux.linuxLauncherUnavailable(flags)
  if (problem) {
    if (flags.launcher === 'linux') throw new Error(`--launcher=linux cannot be used: ${problem}`)
    log.warn(`Using the posix launcher (no container isolation): ${problem}`)
    return posix()
  }
  return new linux.LinuxLauncher(flags, runtimeDir, hidden)
}

/**
 * Host paths that containers on the host's root filesystem must not see (docs/security-tasks.md): the agent's work
 * and runtime dirs (other tasks' sandboxes, checkpoints, image layers), meso's state directories, the files that
 * hold the agent's credentials, and — for `meso up`'s layout (<base>/agent beside <base>/master and <base>/secrets) —
 * the whole base.
 */
export function hiddenHostPaths(flags: AgentFlags, workDir: string, runtimeDir: string): string[] {
  const paths = [workDir, runtimeDir, '/var/lib/meso', join(homedir(), '.meso'), '/root/.meso']
  if (flags.docker_store_dir) paths.push(flags.docker_store_dir)
  if (flags.fetcher_cache_dir) paths.push(flags.fetcher_cache_dir) // other users' fetched files
  for (const value of [flags.http_credentials, flags.credential, flags.jwt_secret_key, flags.docker_config]) {
    const v = value?.trim()
    if (v && !v.startsWith('{') && !v.startsWith('[')) paths.push(v.startsWith('file://') ? v.slice('file://'.length) : v)
  }
  const base = dirname(workDir)
  if (basename(workDir) === 'agent' && (existsSync(join(base, 'secrets')) || existsSync(join(base, 'master')))) paths.push(base)
  return paths.map(p => resolve(p))
}

export async function startAgent(flags: AgentFlags, flagStrings: { name: string; value: string }[], opts: { containerCalls?: ContainerCallHandler } = {}): Promise<RunningAgent> {
  const workDir = flags.work_dir ?? defaultAgentWorkDir()
  const runtimeDir = flags.runtime_dir ?? join(workDir, 'run')
  mkdirSync(workDir, { recursive: true })
  const credentials = parseCredentials(flags.http_credentials)
  if ((flags.authenticate_http_readonly || flags.authenticate_http_readwrite) && !credentials) throw new Error('HTTP authentication is enabled but no --http_credentials were given')
  let credentialHeader: string | undefined
  if (flags.credential) {
    const c = parseCredential(flags.credential)
    credentialHeader = basicHeader(c.principal, c.secret)
  }
  const jwtKey = flags.jwt_secret_key ? readSecretKey(flags.jwt_secret_key) : undefined
  if (flags.authenticate_http_executors && !jwtKey) throw new Error('--jwt_secret_key must be specified when --authenticate_http_executors is set')
  const authn: Authenticators = { credentials, jwtKey }
  const acls = aclsFromFlag(flags.acls)
  // The containers gate: on by default as soon as there is someone to authenticate (docs/security-auth.md).
  const gate = flags.authenticate_http_containers ?? !!credentials
  if (gate && !credentials) log.warn('--authenticate_http_containers is on without --http_credentials: only executors (with their tokens) can use container calls and sandboxes')
  if (!gate) log.warn('Container calls and sandboxes are open to anyone who can reach this agent, tasks included: give --http_credentials (docs/security-auth.md)')
  const files = new FileServer()
  const logBuffer = new LogBuffer()
  onLogLine(line => logBuffer.append(line))
  files.attachMemory('/slave/log', logBuffer)
  const launcher = await chooseLauncher(flags, runtimeDir, hiddenHostPaths(flags, workDir, runtimeDir))
  // Docker/OCI images (src/agent/provisioner): the containerizer's provisioner, /api/meso/v1/images, PRUNE_IMAGES.
  const { attachDockerImages } = await import('./provisioner/attach.ts')
  const images = attachDockerImages(launcher.name, flags, workDir)
  // The isolators --isolation selects; gpu/nvidia discovers GPUs and adds `gpus` and the gpu_models attribute.
  const { createIsolators, isolatorSetup } = await import('./isolators/index.ts')
  const setup = isolatorSetup({
    flags, launcher: launcher.name, runtimeDir, workDir,
    offer: { resources: detectResources(workDir, flags.resources, flags.default_role), attributes: parseAttributes(flags.attributes) },
  })
  const isolators = await createIsolators(setup)
  const { resources, attributes } = setup.offer
  // CommandInfo.uris (src/agent/fetcher): the cache's files from an earlier run are deleted now, as upstream's.
  const { Fetcher } = await import('./fetcher/fetcher.ts')
  const { fetcherTls } = await import('./fetcher/fetcher-tls.ts')
  const fetcher = new Fetcher({
    cacheDir: flags.fetcher_cache_dir ?? join(workDir, 'fetch'), cacheSize: flags.fetcher_cache_size,
    stallTimeoutMs: flags.fetcher_stall_timeout, frameworksHome: flags.frameworks_home || undefined, switchUser: flags.switch_user, tls: fetcherTls(),
  })
  const containerizer = new Containerizer({ launcher, isolators, provisioner: images.provisioner, fetcher, flags })
  // By name, not instanceof: an agent without CNI never loads the CNI modules (idle RSS, README Performance).
  const cni = (isolators.find(i => i.name === 'network/cni') as CniIsolator | undefined)?.networking

  let agent!: Agent
  const router = new Router('slave(1)')
  /** The caller in a realm: authenticated (required or not), with its authorization and the gate's 401. */
  const callerIn = (req: Request, required: boolean, realm: string): AgentCaller | Response => {
    const a = guard(req, authn, required, realm)
    if (a instanceof Response) return a
    return {
      authz: new RequestAuthz(acls, a.subject), gate,
      challenge: () => text(401, 'Authentication required: container calls and sandboxes need a principal on this agent (docs/security-auth.md)', { 'WWW-Authenticate': challenges(realm, !!jwtKey) }),
    }
  }
  type V0Handler = (req: Request, url: URL, caller: AgentCaller) => Response | Promise<Response>
  const ro = (h: V0Handler) => (req: Request, url: URL) => {
    const c = callerIn(req, flags.authenticate_http_readonly, 'mesos-agent-readonly')
    return c instanceof Response ? c : h(req, url, c)
  }
  /** GET_ENDPOINT_WITH_PATH for the endpoints upstream lists in AUTHORIZABLE_ENDPOINTS. */
  const endpoint = (path: string, h: V0Handler) => ro((req, url, c) => c.authz.check('GET_ENDPOINT_WITH_PATH', { value: path }, `GET '${path}'`) ?? h(req, url, c))

  router.on(null, '/api/v1', req => {
    const c = callerIn(req, flags.authenticate_http_readwrite, 'mesos-agent-readwrite')
    if (c instanceof Response) return c
    // The container calls are made per request: they authorize with this caller.
    const calls = opts.containerCalls ?? images.operatorCalls(containerCalls(agent.nested, c))
    return handleAgentOperatorCall(agent, files, req, calls, c)
  })
  router.on(null, '/api/v1/executor', req => {
    // Basic and executor tokens, as upstream's executor realm (--http_authenticators=basic,jwt); only a token with
    // this executor's claims gets past executor-api.ts.
    const a = guard(req, authn, flags.authenticate_http_executors, 'mesos-agent-executor')
    return a instanceof Response ? a : handleExecutorCall(agent, req, a.subject)
  })
  for (const p of ['/state', '/state.json']) router.get(p, ro((req, _url, c) => json(stateV0(agent, c.authz.viewer()), req, 200, writeStateV0)))
  router.get('/flags', ro((req, _url, c) => c.authz.check('VIEW_FLAGS', undefined, 'view the flags') ?? json({ flags: Object.fromEntries(agent.flagStrings.map(f => [f.name, f.value])) }, req)))
  router.get('/health', () => new Response(null, { status: 200 }))
  router.get('/version', req => json(versionInfo(), req, 200, writeVersion))
  router.get('/metrics/snapshot', endpoint('/metrics/snapshot', req => json(agentMetrics(agent), req, 200, writeMetricsSnapshot)))
  // Prometheus text format (docs/metrics.md); authorized as /metrics/snapshot, whose values it carries.
  router.get('/metrics', endpoint('/metrics/snapshot', () => agentPrometheus(agent)))
  for (const p of ['/monitor/statistics', '/monitor/statistics.json']) router.get(p, endpoint('/monitor/statistics', async (req, _url, c) => json(await monitorStatisticsV0(agent, c.authz.viewer()), req, 200, writeMonitorStatisticsV0)))
  router.get('/containers', endpoint('/containers', async (req, url, c) => json(await containersV0(agent, url.searchParams, c.authz.viewer()), req, 200, writeContainersV0)))
  router.get('/api/meso/v1/networks', ro(async req => json((await import('./isolators/network/cni/attach.ts')).networksResponse(cni), req)))
  // The image store: removing images (remove, gc) is PRUNE_IMAGES; pulls and loads need the read-write realm only.
  images.routes(router, (req, rw) => {
    const c = callerIn(req, rw ? flags.authenticate_http_readwrite : flags.authenticate_http_readonly, rw ? 'mesos-agent-readwrite' : 'mesos-agent-readonly')
    if (c instanceof Response) return c
    return rw && /\/(remove|gc)$/.test(new URL(req.url).pathname) ? c.authz.check('PRUNE_IMAGES', undefined, 'prune images') : undefined
  })
  for (const op of ['browse', 'read', 'download']) {
    for (const suffix of ['', '.json']) router.get(`/files/${op}${suffix}`, ro((req, url, c) => authorizeFile(agent, c, url.searchParams.get('path') ?? '') ?? files.handle(req, url)))
  }
  // /files/debug lists every attached sandbox: the gate, then get_endpoints.
  for (const suffix of ['', '.json']) router.get(`/files/debug${suffix}`, endpoint('/files/debug', (req, url, c) => needsPrincipal(c) ?? files.handle(req, url)))

  const server = Bun.serve({
    hostname: flags.ip,
    port: flags.port,
    tls: serverTls(), // LIBPROCESS_SSL_*: TLS only, no plain HTTP on this port (docs/security-tls.md)
    ...serveOptions('slave(1)', flags), // idle timeout and body limits: src/core/http/server-limits.ts, docs/security-input.md
    async fetch(req, srv) {
      try {
        return (await router.handle(req, srv)) ?? text(404, '')
      } catch (err) {
        log.error(`Error handling ${req.method} ${new URL(req.url).pathname}: ${(err as Error).stack ?? err}`)
        return text(500, `Internal error: ${(err as Error).message}`)
      }
    },
  })
  const port = flags.advertise_port ?? server.port!
  const ip = flags.advertise_ip ?? (flags.ip === '0.0.0.0' ? '127.0.0.1' : flags.ip)
  try {
    const executorToken = jwtKey ? (fid: string, eid: string, cid: string) => signJwt(executorClaims(fid, eid, cid), jwtKey) : undefined
    // VIPs: every agent programs the kernel L4 load balancer (nftables) from the master's table (src/agent/l4lb/).
    const vips = vipsHandler(flags.l4lb)
    agent = new Agent({ flags, flagStrings, workDir, runtimeDir, containerizer, resources, attributes, files, ip, port, credentialHeader, executorToken, onVips: raw => vips.handle(raw) })
    await agent.start()
  } catch (err) {
    server.stop(true)
    throw err
  }
  log.info(`Agent listening on ${flags.ip}:${server.port} (launcher ${launcher.name}, work dir ${workDir}) with ${resources.toString()}`)
  return { agent, server, url: `${httpScheme()}://${ip}:${port}`, async stop() { await agent.stop(); server.stop(true) } }
}

/** The executor-token key (--jwt_secret_key, a file as in Mesos); warns when others may read it, as upstream does. */
function readSecretKey(path: string): string {
  let key: string
  try { key = readFileSync(path, 'utf8') } catch (err) { throw new Error(`Failed to read the file given by --jwt_secret_key (${path}): ${(err as Error).message}`) }
  if (!key) throw new Error(`--jwt_secret_key: ${path} is empty`)
  try { if (statSync(path).mode & 0o007) log.warn(`Permissions on the executor secret key file '${path}' are too open; it should not be accessible by others`) } catch { /* read above */ }
  return key
}
