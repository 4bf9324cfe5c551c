// Starts an agent: picks the launcher, makes the isolators and the containerizer, detects resources, binds the HTTP
// server (operator and executor APIs, v0 endpoints, /files) and connects to the master.

import { mkdirSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { basicAuth, basicHeader, parseCredentials, readFlagFile } from '../core/auth.ts'
import { FileServer, LogBuffer } from '../core/files.ts'
import { Router } from '../core/http/router.ts'
import { json, text, unauthorized } from '../core/http/responses.ts'
import { logger, onLogLine } from '../core/log.ts'
import { versionInfo } from '../core/version.ts'
import { Agent } from './agent.ts'
import { Containerizer } from './containerizer/containerizer.ts'
import type { Launcher } from './containerizer/launcher.ts'
import { handleExecutorCall } from './executor-api.ts'
import { containerCalls } from './container-api.ts'
import type { AgentFlags } from './flags.ts'
import { handleAgentOperatorCall, type ContainerCallHandler } from './operator-api.ts'
import { detectResources, parseAttributes } from './resources-detect.ts'
import { agentMetrics, containersV0, monitorStatisticsV0, stateV0 } from './views.ts'

const log = logger('agent')

export interface RunningAgent {
  agent: Agent
  server: import('bun').Server<undefined>
  url: string
  stop(): Promise<void>
}

export function defaultAgentWorkDir(): string {
  return process.getuid?.() === 0 ? '/var/lib/meso/agent' : join(homedir(), '.meso', 'agent')
}

/** Picks the launcher: --launcher, else linux when it can work here, else posix (with one clear line why). */
export async function chooseLauncher(flags: AgentFlags, runtimeDir: string): Promise<Launcher> {
  const { PosixLauncher } = await import('./containerizer/posix-launcher.ts')
  const posix = () => new PosixLauncher(runtimeDir, flags.switch_user)
  if (flags.launcher === 'posix') return posix()
  const linux = await import('./containerizer/linux-launcher.ts')
  const problem = linux.linuxLauncherUnavailable(flags)
  if (problem) {
    if (flags.launcher === 'linux') throw new Error(`--launcher=linux cannot be used: ${problem}`)
    log.warn(`Using the posix launcher (no container isolation): ${problem}`)
    return posix()
  }
  return new linux.LinuxLauncher(flags, runtimeDir)
}

export async function startAgent(flags: AgentFlags, flagStrings: { name: string; value: string }[], opts: { containerCalls?: ContainerCallHandler } = {}): Promise<RunningAgent> {
  const workDir = flags.work_dir ?? defaultAgentWorkDir()
  const runtimeDir = flags.runtime_dir ?? join(workDir, 'run')
  mkdirSync(workDir, { recursive: true })
  const credentials = parseCredentials(flags.http_credentials)
  if ((flags.authenticate_http_readonly || flags.authenticate_http_readwrite) && !credentials) throw new Error('HTTP authentication is enabled but no --http_credentials were given')
  let credentialHeader: string | undefined
  if (flags.credential) {
    const c = JSON.parse(readFlagFile(flags.credential))
    credentialHeader = basicHeader(c.principal, c.secret ?? '')
  }
  const files = new FileServer()
  const logBuffer = new LogBuffer()
  onLogLine(line => logBuffer.append(line))
  files.attachMemory('/slave/log', logBuffer)
  const launcher = await chooseLauncher(flags, runtimeDir)
  // Docker/OCI images (src/agent/provisioner): the containerizer's provisioner, /api/meso/v1/images, PRUNE_IMAGES.
  const { attachDockerImages } = await import('./provisioner/attach.ts')
  const images = attachDockerImages(launcher.name, flags, workDir)
  // The isolators --isolation selects; gpu/nvidia discovers GPUs and adds `gpus` and the gpu_models attribute.
  const { createIsolators, isolatorSetup } = await import('./isolators/index.ts')
  const setup = isolatorSetup({
    flags, launcher: launcher.name, runtimeDir,
    offer: { resources: detectResources(workDir, flags.resources, flags.default_role), attributes: parseAttributes(flags.attributes) },
  })
  const isolators = await createIsolators(setup)
  const { resources, attributes } = setup.offer
  const containerizer = new Containerizer({ launcher, isolators, provisioner: images.provisioner, flags })
  const { CniIsolator } = await import('./isolators/network/cni/cni-isolator.ts')
  const { networksResponse } = await import('./isolators/network/cni/attach.ts')
  const cni = isolators.find(i => i instanceof CniIsolator)?.networking

  let agent!: Agent
  const router = new Router('slave(1)')
  const auth = (req: Request, enabled: boolean, realm: string): Response | undefined => {
    if (!enabled || !credentials) return undefined
    return basicAuth(req, credentials).ok ? undefined : unauthorized(realm)
  }
  const ro = (h: (req: Request, url: URL) => Response | Promise<Response>) => (req: Request, url: URL) =>
    auth(req, flags.authenticate_http_readonly, 'mesos-agent-readonly') ?? h(req, url)

  let calls: ContainerCallHandler | undefined = opts.containerCalls
  router.on(null, '/api/v1', req => auth(req, flags.authenticate_http_readwrite, 'mesos-agent-readwrite') ??
    handleAgentOperatorCall(agent, files, req, calls ??= images.operatorCalls(containerCalls(agent.nested))))
  router.on(null, '/api/v1/executor', req => handleExecutorCall(agent, req))
  for (const p of ['/state', '/state.json']) router.get(p, ro(req => json(stateV0(agent), req)))
  router.get('/flags', ro(req => json({ flags: Object.fromEntries(agent.flagStrings.map(f => [f.name, f.value])) }, req)))
  router.get('/health', () => new Response(null, { status: 200 }))
  router.get('/version', req => json(versionInfo(), req))
  router.get('/metrics/snapshot', ro(req => json(agentMetrics(agent), req)))
  for (const p of ['/monitor/statistics', '/monitor/statistics.json']) router.get(p, ro(async req => json(await monitorStatisticsV0(agent), req)))
  router.get('/containers', ro(async (req, url) => json(await containersV0(agent, url.searchParams), req)))
  router.get('/api/meso/v1/networks', ro(req => json(networksResponse(cni), req)))
  images.routes(router, (req, rw) => rw ? auth(req, flags.authenticate_http_readwrite, 'mesos-agent-readwrite') : auth(req, flags.authenticate_http_readonly, 'mesos-agent-readonly'))
  for (const op of ['browse', 'read', 'download', 'debug']) {
    for (const suffix of ['', '.json']) router.get(`/files/${op}${suffix}`, ro((req, url) => files.handle(req, url)))
  }

  const server = Bun.serve({
    hostname: flags.ip,
    port: flags.port,
    idleTimeout: 0,
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
    agent = new Agent({ flags, flagStrings, workDir, runtimeDir, containerizer, resources, attributes, files, ip, port, credentialHeader })
    await agent.start()
  } catch (err) {
    server.stop(true)
    throw err
  }
  log.info(`Agent listening on ${flags.ip}:${server.port} (launcher ${launcher.name}, work dir ${workDir}) with ${resources.toString()}`)
  return { agent, server, url: `http://${ip}:${port}`, async stop() { await agent.stop(); server.stop(true) } }
}
