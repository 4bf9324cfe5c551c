// The agent: registers with the master, runs executors and their tasks in containers through the containerizer,
// checkpoints everything, and re-adopts running containers after a restart (`--recover=reconnect`).

import { handSandboxTo } from './containerizer/user.ts'
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs'
import { hostname as osHostname } from 'node:os'
import { join } from 'node:path'
import type { AgentMessage, MasterMessage } from '../core/agent-protocol.ts'
import { AGENT_PROTOCOL_VERSION } from '../core/agent-protocol.ts'
import type { FileServer } from '../core/files.ts'
import { newUuid } from '../core/ids.ts'
import { logger } from '../core/log.ts'
import { formatResources, Resources, type Resource } from '../core/resources.ts'
import type { AgentInfo, ExecutorInfo, FrameworkInfo, Task, TaskInfo, TaskStatus } from '../core/v1/messages.ts'
import { hasCapability, isTerminal } from '../core/v1/messages.ts'
import { VERSION } from '../core/version.ts'
import { Checkpoint, type ExecutorKind } from './checkpoint.ts'
import type { Containerizer } from './containerizer/containerizer.ts'
import type { Termination } from './containerizer/launcher.ts'
import { receiveSecrets } from './secret-values.ts'
import { DROPPED_WHILE_DRAINING, drainKillPolicy, drainStatus, type AgentDrainConfig } from './agent-drain.ts'
import { CommandExecutor } from './executors/command-executor.ts'
import { CustomExecutor } from './executors/custom-executor.ts'
import { DefaultExecutor } from './executors/default-executor.ts'
import { AgentExecutorBase, AgentTask, type ExecutorHost } from './executors/executor.ts'
import type { MasterDetector } from '../master/ha/detector.ts'
import { leaderEndpoint, MasterLink, masterEndpoint } from './master-link.ts'
import { NestedContainers } from './nested-containers.ts'
import { SandboxGc } from './sandbox-gc.ts'
import type { AgentFlags } from './flags.ts'
import { StatusUpdateManager } from './status-update-manager.ts'
import { AgentResources } from './volumes/agent-resources.ts'
import { volumePathsOf } from './volumes/checkpointed-resources.ts'
import { isZooKeeperUrl } from '../core/master-address.ts'
import { newAgentCounters } from './metrics.ts'

const log = logger('agent')

// RESIZE_VOLUME: a volume is a directory, so GROW/SHRINK only change its accounted size (checkpointed-resources.ts).
export const AGENT_CAPABILITIES = ['MULTI_ROLE', 'HIERARCHICAL_ROLE', 'RESERVATION_REFINEMENT', 'AGENT_DRAINING', 'RESIZE_VOLUME']

/** Completed executors kept per framework for the endpoints (Mesos' --max_completed_executors_per_framework default). */
const MAX_COMPLETED_EXECUTORS_PER_FRAMEWORK = 150

export interface AgentFramework {
  info: FrameworkInfo
  executors: Map<string, AgentExecutorBase>
  completedExecutors: AgentExecutorBase[]
}

export interface AgentOptions {
  flags: AgentFlags
  flagStrings: { name: string; value: string }[]
  workDir: string
  runtimeDir: string
  containerizer: Containerizer
  resources: Resources
  attributes: AgentInfo['attributes']
  files: FileServer
  /** Address advertised to the master and executors. */
  ip: string
  port: number
  credentialHeader?: string
  /** Signs an executor's token (claims fid/eid/cid) when --jwt_secret_key is set (docs/security-auth.md). */
  executorToken?: (frameworkId: string, executorId: string, containerId: string) => string
  /** The master's VIP table (VIPS): the L4 load balancer programs it (src/agent/l4lb/). */
  onVips?: (vips: unknown) => void
}

export class RecoveryError extends Error {}

export class Agent implements ExecutorHost {
  readonly flags: AgentFlags
  readonly flagStrings: { name: string; value: string }[]
  readonly checkpoint: Checkpoint
  readonly containerizer: Containerizer
  readonly statusUpdates: StatusUpdateManager
  readonly files: FileServer
  readonly frameworks = new Map<string, AgentFramework>()
  completedFrameworks: AgentFramework[] = []
  readonly startTime = Date.now() / 1000
  info: AgentInfo
  masterInfo?: { hostname?: string; pid?: string }
  recovered = false
  registered = false
  private link?: MasterLink
  /** DRAIN from the master (agent-drain.ts): set until the agent has no framework left. */
  private drainConfig?: AgentDrainConfig
  private shuttingDown = false
  private detector?: MasterDetector
  private readonly gc: SandboxGc
  /** Counters for /metrics/snapshot (src/agent/metrics.ts). */
  readonly metrics = newAgentCounters()
  readonly nested = new NestedContainers(this)
  /** Static resources with the checkpointed reservations and volumes (CHECKPOINT_RESOURCES) applied. */
  readonly resources: AgentResources
  /** The persistent volumes each custom executor's container was launched with (see refuseVolumesNotInContainer). */
  private readonly executorVolumes = new WeakMap<AgentExecutorBase, Set<string>>()

  constructor(private readonly opts: AgentOptions) {
    this.flags = opts.flags
    this.flagStrings = opts.flagStrings
    mkdirSync(join(opts.workDir, 'meta'), { recursive: true })
    this.checkpoint = Checkpoint.open(join(opts.workDir, 'meta', 'agent.db'))
    this.containerizer = opts.containerizer
    this.files = opts.files
    this.statusUpdates = new StatusUpdateManager(this.checkpoint,
      u => this.link?.send({ type: 'STATUS_UPDATE', update: u }) ?? false,
      (framework_id, task_id, state) => { this.link?.send({ type: 'LATEST_STATE', framework_id, task_id, state }) })
    this.gc = new SandboxGc(this.checkpoint, opts.workDir, opts.flags.gc_delay, opts.flags.gc_disk_headroom, opts.flags.disk_watch_interval, path => this.detachSandbox(path))
    this.info = {
      hostname: opts.flags.hostname ?? osHostname(),
      port: opts.port,
      resources: opts.resources.toWire(true),
      attributes: opts.attributes,
    }
    this.resources = new AgentResources(this.checkpoint, opts.workDir, opts.resources)
  }

  get agentId(): string { return this.info.id?.value ?? '' }
  get pid(): string { return `slave(1)@${this.opts.ip}:${this.opts.port}` }
  get endpoint(): string { return `${this.opts.ip}:${this.opts.port}` }
  get workDir(): string { return this.opts.workDir }

  // ------------------------------------------------------------------------------------------- start / recover

  async start() {
    await this.containerizer.prepare()
    const recoveryStarted = performance.now()
    await this.recover()
    this.metrics.recoveryTimeSecs = (performance.now() - recoveryStarted) / 1000
    this.recovered = true
    if (!this.flags.master) throw new Error('--master is required (host:port of the master, or zk://host:2181/mesos)')
    const detected = isZooKeeperUrl(this.flags.master)
    const link = new MasterLink(detected ? undefined : masterEndpoint(this.flags.master), {
      hello: () => this.hello(),
      message: m => this.onMasterMessage(m),
      disconnected: () => { this.registered = false; this.statusUpdates.pause() },
    }, this.flags.registration_backoff_factor, this.opts.credentialHeader)
    this.link = link
    if (detected) {
      // The leader comes from ZooKeeper, as with Mesos' --master=zk://…: re-register with each new leader at once.
      // Loaded only here: an agent given host:port never pays for the ZooKeeper client (idle RSS, README Performance).
      const { MasterDetector } = await import('../master/ha/detector.ts')
      const { readZooKeeperUrl } = await import('../core/zookeeper/url.ts')
      const detector = new MasterDetector(readZooKeeperUrl(this.flags.master))
      this.detector = detector
      detector.onChange(leader => link.retarget(leader ? leaderEndpoint(leader) : undefined))
    }
    link.start(this.info.id ? 0 : undefined)
    this.gc.start()
  }

  async stop() {
    this.link?.stop()
    await this.detector?.close()
    this.statusUpdates.stop()
    this.gc.stop()
    this.checkpoint.close()
  }

  /** Reads the checkpoint and re-adopts containers (Mesos' Slave::recover in src/slave/slave.cpp). */
  private async recover() {
    const cp = this.checkpoint
    const previous = cp.agentInfo()
    const bootId = readBootId()
    const sameBoot = !previous || cp.getMeta('boot_id') === bootId
    cp.setMeta('boot_id', bootId)
    if (previous) {
      const before = Resources.of(previous.resources)
      const now = Resources.of(this.info.resources)
      if (!before.equals(now)) {
        const policyOk = this.flags.reconfiguration_policy === 'additive' && now.contains(before)
        if (!policyOk && this.flags.strict) {
          throw new RecoveryError(`Incompatible agent info: the checkpointed resources (${before.toString()}) differ from --resources (${now.toString()}). ` +
            `Start with the old resources, use --strict=false to register as a new agent, or remove ${join(this.workDir, 'meta')} to start afresh.`)
        }
        if (!policyOk) {
          log.warn('Resources changed and --strict=false: registering as a new agent; running tasks will be killed')
          this.metrics.recoveryErrors++
          await this.forgetEverything('agent resources changed')
          return
        }
      }
      if (previous.id) this.info = { ...this.info, id: previous.id }
    }
    // Reservations and volumes: a sync cut short is finished before anything else (as upstream, before re-registering).
    // Without an agent id (first start, or the master shut this agent down) it registers anew, knowing none.
    if (sameBoot && this.info.id) {
      const used = new Set([
        ...cp.executors().filter(e => e.state === 'running').flatMap(e => volumePathsOf(this.workDir, e.info.resources)),
        ...cp.tasks().filter(t => !isTerminal(t.state)).flatMap(t => volumePathsOf(this.workDir, t.info.resources)),
      ])
      try { this.resources.recover(path => used.has(path)) } catch (err) { throw new RecoveryError((err as Error).message) }
    } else if (sameBoot) {
      this.resources.forget('the agent registers as a new agent')
    }
    if (!sameBoot) {
      log.warn('Host rebooted since the checkpoint: no container survived; forgetting checkpointed tasks')
      await this.forgetEverything('host rebooted', { keepResources: true })
      return
    }

    for (const info of cp.frameworks()) this.frameworks.set(info.id!.value, { info, executors: new Map(), completedExecutors: [] })
    const containers = cp.containers()
    const tasksByExecutor = new Map<string, ReturnType<Checkpoint['tasks']>>()
    for (const t of cp.tasks()) {
      const k = `${t.frameworkId}/${t.executorId}`
      const list = tasksByExecutor.get(k) ?? []
      list.push(t)
      tasksByExecutor.set(k, list)
    }
    await this.containerizer.recover(containers.map(c => ({ containerId: c.containerId, data: c.data, parentId: c.parent })))
    this.statusUpdates.recover()

    for (const row of cp.executors()) {
      const fw = this.frameworks.get(row.frameworkId)
      if (!fw) { cp.removeExecutor(row.frameworkId, row.executorId); continue }
      const exec = this.makeExecutor(row.kind, row.frameworkId, row.info, row.containerId, row.sandbox)
      if (row.state === 'terminated') exec.state = 'terminated'
      fw.executors.set(exec.id, exec)
      this.attachSandbox(exec)
      for (const t of tasksByExecutor.get(`${row.frameworkId}/${row.executorId}`) ?? []) {
        const task = new AgentTask(t.frameworkId, t.executorId, t.info)
        task.state = t.state
        task.containerId = t.containerId
        task.killRequested = t.killRequested
        task.statuses = t.statuses?.length ? t.statuses : this.statusUpdates.pendingFor(t.frameworkId, t.taskId)
        const c = containers.find(x => x.containerId === t.containerId)
        if (c?.data.pid) task.pid = c.data.pid as number
        exec.tasks.set(task.id, task)
      }
    }
    // Containers that were still being created when the agent died have no process to re-adopt.
    for (const c of containers) if (c.state === 'launching') log.warn(`Container ${c.containerId} was being launched when the agent stopped; it will be reported as failed`)

    const cleanup = this.flags.recover === 'cleanup'
    let count = 0
    for (const fw of this.frameworks.values()) {
      for (const exec of [...fw.executors.values()]) {
        if (exec.state === 'terminated') {
          // Ended before the restart; it is kept only until its tasks' terminal updates are acknowledged.
          for (const t of [...exec.tasks.values()]) {
            if (!this.statusUpdates.hasPending(exec.frameworkId, t.id)) { exec.tasks.delete(t.id); cp.removeTask(exec.frameworkId, t.id) }
          }
          this.maybeRemoveExecutor(exec)
          continue
        }
        count++
        if (cleanup || !fw.info.checkpoint) {
          const why = cleanup ? '--recover=cleanup' : 'framework does not checkpoint'
          await this.recoverAndKill(exec, why)
        } else {
          await exec.recover()
        }
      }
    }
    if (count) log.info(`Recovered ${count} executor(s) of ${this.frameworks.size} framework(s)${cleanup ? ' (cleanup mode: killing them)' : ''}`)
  }

  /** For --recover=cleanup and non-checkpointing frameworks: kill and report what survived the restart. */
  private async recoverAndKill(exec: AgentExecutorBase, why: string) {
    const fw = this.frameworks.get(exec.frameworkId)!
    const state = hasCapability(fw.info, 'PARTITION_AWARE') ? 'TASK_GONE' : 'TASK_LOST'
    for (const task of exec.tasks.values()) {
      if (task.terminal) continue
      this.update(exec, task, { state, source: 'SOURCE_AGENT', reason: 'REASON_AGENT_RESTARTED', message: `Agent restarted (${why}); task killed` })
    }
    const ids = [exec.containerId, ...[...exec.tasks.values()].map(t => t.containerId).filter((x): x is string => !!x)]
    for (const id of new Set(ids)) {
      await this.containerizer.kill(id, 'SIGKILL').catch(() => {})
      await this.containerizer.destroy(id).catch(() => {})
      this.checkpoint.removeContainer(id)
    }
    await this.containerizer.destroyGroup(exec.containerId).catch(() => {})
    exec.state = 'terminated'
    this.executorTerminated(exec)
  }

  /**
   * `keepResources`: after a host reboot the reservations and persistent volumes stay (their data is on disk, and
   * upstream keeps meta/resources across reboots); the agent registers anew with them.
   */
  private async forgetEverything(why: string, { keepResources = false } = {}) {
    const cp = this.checkpoint
    const containers = cp.containers()
    // Orphans go first; the checkpointed containers are re-adopted only to be destroyed.
    await this.containerizer.recover(containers.map(c => ({ containerId: c.containerId, data: c.data, parentId: c.parent })))
    for (const c of containers) await this.containerizer.destroy(c.containerId).catch(() => {})
    cp.transaction(() => {
      for (const f of cp.frameworks()) cp.removeFramework(f.id!.value)
      for (const c of cp.containers()) cp.removeContainer(c.containerId)
      cp.setMeta('agent_info', '')
    })
    this.info = { ...this.info, id: undefined }
    delete this.info.id
    if (keepResources) this.resources.recover(() => false)
    else this.resources.forget(why)
    log.info(`Checkpoint cleared (${why})`)
  }

  // ------------------------------------------------------------------------------------------- master link

  private hello(): AgentMessage {
    const base = { agent_info: this.info, version: VERSION, capabilities: AGENT_CAPABILITIES, protocol: AGENT_PROTOCOL_VERSION, pid: this.pid }
    if (!this.info.id) {
      const kept = this.resources.checkpointed
      return { type: 'REGISTER', ...base, ...(kept.length ? { checkpointed_resources: kept } : {}) }
    }
    const tasks: Task[] = []
    const executors: { framework_id: string; executor_info: ExecutorInfo }[] = []
    for (const fw of this.frameworks.values()) {
      for (const exec of fw.executors.values()) {
        if (exec.kind !== 'command') executors.push({ framework_id: exec.frameworkId, executor_info: exec.info })
        for (const t of exec.tasks.values()) tasks.push(this.taskView(exec, t))
      }
    }
    return { type: 'REREGISTER', ...base, frameworks: [...this.frameworks.values()].map(f => f.info), executors, tasks, checkpointed_resources: this.resources.checkpointed }
  }

  /** CHECKPOINT_RESOURCES: persist the master's set, make and remove volume directories (volumes/agent-resources.ts). */
  private checkpointResources(resources: Resource[]) {
    try {
      this.resources.apply(resources, path => this.volumeInUse(path))
    } catch (err) {
      // The checkpoint keeps the set as its target: the next start finishes the job (or refuses to start, saying why).
      log.error(`Failed to apply the checkpointed resources the master sent (${formatResources(resources) || 'none'}): ${(err as Error).message}`)
    }
  }

  /** Whether a container that has not ended has the persistent volume at `path` (mounted or linked). */
  private volumeInUse(path: string): boolean {
    for (const exec of this.executors()) {
      if (exec.state === 'terminated') continue
      if (volumePathsOf(this.workDir, exec.info.resources).includes(path)) return true
      for (const t of exec.tasks.values()) if (!t.terminal && volumePathsOf(this.workDir, t.info.resources).includes(path)) return true
    }
    return false
  }

  private onMasterMessage(m: MasterMessage) {
    switch (m.type) {
      case 'REGISTERED':
      case 'REREGISTERED': {
        const first = !this.info.id
        this.info = { ...this.info, id: { value: m.agent_id } }
        this.checkpoint.setAgentInfo(this.info)
        // The agent's identity is durable before anything can see it (its /state, the tasks it will take).
        this.checkpoint.flush()
        this.masterInfo = { hostname: m.master_info.hostname, pid: m.master_info.pid }
        this.registered = true
        this.link!.setPingInterval(m.ping_interval_ms)
        this.statusUpdates.resume()
        log.info(`${m.type === 'REGISTERED' ? 'Registered' : 'Re-registered'} with master ${m.master_info.pid} as agent ${m.agent_id}${first ? '' : ''}`)
        break
      }
      case 'RUN_TASK': {
        // Only the redacted TaskInfo is kept; the values reach the launch through withSecrets (secret-values.ts).
        const task = receiveSecrets(m.task, m.secrets)
        void this.runTasks(m.framework, task.executor ?? undefined, [task])
        break
      }
      case 'RUN_TASK_GROUP': void this.runTasks(m.framework, m.executor, m.tasks.map(t => receiveSecrets(t, m.secrets?.[t.task_id.value])), true); break
      case 'KILL_TASK': this.killTask(m.framework_id, m.task_id, m.kill_policy); break
      case 'SHUTDOWN_EXECUTOR': {
        const exec = this.frameworks.get(m.framework_id)?.executors.get(m.executor_id)
        void exec?.shutdown('shutdown requested by the framework')
        break
      }
      case 'SHUTDOWN_FRAMEWORK': void this.shutdownFramework(m.framework_id); break
      case 'ACKNOWLEDGE': this.acknowledge(m.framework_id, m.task_id, m.uuid); break
      case 'FRAMEWORK_MESSAGE': {
        const exec = this.frameworks.get(m.framework_id)?.executors.get(m.executor_id)
        if (exec instanceof CustomExecutor) { exec.message(m.data); this.metrics.validFrameworkMessages++ }
        else {
          this.metrics.invalidFrameworkMessages++
          log.warn(`Dropping framework message for executor ${m.executor_id} of framework ${m.framework_id}: not a running custom executor`)
        }
        break
      }
      case 'UPDATE_FRAMEWORK': {
        const fw = this.frameworks.get(m.framework.id!.value)
        if (fw) { fw.info = m.framework; this.checkpoint.putFramework(m.framework) }
        this.statusUpdates.resume(m.framework.id!.value)
        break
      }
      case 'CHECKPOINT_RESOURCES': this.checkpointResources(m.resources); break
      case 'DRAIN': this.drain(m.max_grace_period_ns, m.mark_gone === true); break
      case 'VIPS': this.opts.onVips?.(m.vips); break
      case 'SHUTDOWN':
        void this.shutdownByMaster(m.message)
        break
    }
  }

  // ------------------------------------------------------------------------------------------- tasks

  private sandboxDir(frameworkId: string, executorId: string, containerId: string): string {
    return join(this.workDir, 'slaves', this.agentId, 'frameworks', frameworkId, 'executors', executorId, 'runs', containerId)
  }

  private attachSandbox(exec: AgentExecutorBase) {
    this.files.attach(exec.sandbox, exec.sandbox)
    this.files.attach(`/frameworks/${exec.frameworkId}/executors/${exec.id}/runs/latest`, exec.sandbox)
  }

  private detachSandbox(path: string) {
    this.files.detach(path)
    const m = /\/frameworks\/([^/]+)\/executors\/([^/]+)\/runs\/([^/]+)$/.exec(path)
    if (!m) return
    const latest = `/frameworks/${m[1]}/executors/${m[2]}/runs/latest`
    try { if (this.files.stat(latest) && !existsSync(path)) this.files.detach(latest) } catch { this.files.detach(latest) }
  }

  private makeExecutor(kind: ExecutorKind, frameworkId: string, info: ExecutorInfo, containerId: string, sandbox: string): AgentExecutorBase {
    if (kind === 'command') return new CommandExecutor(this, frameworkId, info, containerId, sandbox)
    if (kind === 'default') return new DefaultExecutor(this, frameworkId, info, containerId, sandbox)
    return new CustomExecutor(this, frameworkId, info, containerId, sandbox)
  }

  async runTasks(framework: FrameworkInfo, executorInfo: ExecutorInfo | undefined, tasks: TaskInfo[], group = false) {
    const fid = framework.id!.value
    if (this.drainConfig || this.shuttingDown) {
      // upstream Slave::run: a task that arrives while the agent drains is dropped.
      for (const t of tasks) {
        log.warn(`Ignoring running task ${t.task_id.value} of framework ${fid} because the agent is ${this.shuttingDown ? 'shutting down' : 'draining'}`)
        this.statusUpdates.update(fid, { task_id: t.task_id, ...DROPPED_WHILE_DRAINING, agent_id: { value: this.agentId } })
      }
      return
    }
    let fw = this.frameworks.get(fid)
    if (!fw) {
      fw = { info: framework, executors: new Map(), completedExecutors: [] }
      this.frameworks.set(fid, fw)
    } else {
      fw.info = framework
    }
    this.checkpoint.putFramework(framework)
    const kind: ExecutorKind = group ? 'default' : executorInfo ? 'custom' : 'command'
    const info: ExecutorInfo = executorInfo ?? commandExecutorInfo(fid, tasks[0]!)
    const existing = fw.executors.get(info.executor_id.value)
    if (existing && existing.state !== 'terminated') {
      if (existing.state === 'terminating') {
        for (const t of tasks) this.failTaskEarly(fid, info.executor_id.value, t, 'REASON_EXECUTOR_TERMINATED', 'Executor is terminating')
        return
      }
      await existing.launch(this.refuseVolumesNotInContainer(existing, tasks))
      return
    }
    const containerId = newUuid()
    const sandbox = this.sandboxDir(fid, info.executor_id.value, containerId)
    mkdirSync(sandbox, { recursive: true })
    handSandboxTo(sandbox, info.command?.user ?? framework.user, this.flags.switch_user)
    const latest = join(sandbox, '..', 'latest')
    try { rmSync(latest, { force: true }); symlinkSync(containerId, latest) } catch { /* best effort */ }
    const exec = this.makeExecutor(kind, fid, info, containerId, sandbox)
    if (kind === 'custom') this.executorVolumes.set(exec, new Set([info, ...tasks].flatMap(x => volumePathsOf(this.workDir, x.resources))))
    fw.executors.set(exec.id, exec)
    this.checkpoint.putExecutor({ frameworkId: fid, executorId: exec.id, info, kind, containerId, sandbox, state: 'running' })
    this.attachSandbox(exec)
    await exec.launch(tasks)
  }

  /**
   * A running custom executor's container has the persistent volumes it was launched with; one cannot be mounted
   * into it later (upstream remounts on a containerizer update), so a task bringing a new one fails, saying why.
   */
  private refuseVolumesNotInContainer(exec: AgentExecutorBase, tasks: TaskInfo[]): TaskInfo[] {
    if (exec.kind !== 'custom') return tasks
    // After a restart: what the executor and the tasks it still has were launched with.
    const have = this.executorVolumes.get(exec) ?? new Set([exec.info, ...[...exec.tasks.values()].map(t => t.info)].flatMap(x => volumePathsOf(this.workDir, x.resources)))
    return tasks.filter(t => {
      const missing = volumePathsOf(this.workDir, t.resources).filter(p => !have.has(p))
      if (!missing.length) return true
      const message = `Persistent volume(s) at ${missing.join(', ')} cannot be added to the running container of executor ${exec.id}; launch the task with a new executor, or give the volume in its ExecutorInfo.resources`
      log.warn(`Task ${t.task_id.value} of framework ${exec.frameworkId}: ${message}`)
      this.statusUpdates.update(exec.frameworkId, { task_id: t.task_id, state: 'TASK_FAILED', source: 'SOURCE_AGENT', reason: 'REASON_CONTAINER_UPDATE_FAILED', message, agent_id: { value: this.agentId }, executor_id: { value: exec.id } })
      return false
    })
  }

  /** A task that never got an executor (e.g. its executor is shutting down) still gets a terminal update. */
  private failTaskEarly(frameworkId: string, executorId: string, info: TaskInfo, reason: string, message: string) {
    this.statusUpdates.update(frameworkId, { task_id: info.task_id, state: 'TASK_LOST', source: 'SOURCE_AGENT', reason, message, agent_id: { value: this.agentId }, executor_id: { value: executorId } })
  }

  killTask(frameworkId: string, taskId: string, policy?: TaskInfo['kill_policy']) {
    const fw = this.frameworks.get(frameworkId)
    for (const exec of fw?.executors.values() ?? []) {
      if (exec.tasks.has(taskId)) { exec.kill(taskId, policy); return }
    }
    // Unknown here: tell the framework it is gone (the master asked about a task this agent does not run).
    const pa = fw && hasCapability(fw.info, 'PARTITION_AWARE')
    log.warn(`Kill of unknown task ${taskId} of framework ${frameworkId}`)
    this.statusUpdates.update(frameworkId, { task_id: { value: taskId }, state: pa ? 'TASK_GONE' : 'TASK_LOST', source: 'SOURCE_AGENT', reason: 'REASON_TASK_UNKNOWN', message: 'Task is unknown to the agent', agent_id: { value: this.agentId } })
  }

  private async shutdownFramework(frameworkId: string) {
    const fw = this.frameworks.get(frameworkId)
    if (!fw) return
    log.info(`Shutting down framework ${frameworkId}`)
    await Promise.all([...fw.executors.values()].map(e => e.shutdown('framework removed')))
    this.statusUpdates.removeFramework(frameworkId)
    if (this.frameworks.get(frameworkId) === fw) {
      this.frameworks.delete(frameworkId)
      this.checkpoint.removeFramework(frameworkId)
      this.completedFrameworks.push(fw)
      if (this.completedFrameworks.length > 50) this.completedFrameworks.shift()
    }
    this.updateDrainStatus()
  }

  private acknowledge(frameworkId: string, taskId: string, uuid: string) {
    const acked = this.statusUpdates.acknowledge(frameworkId, taskId, uuid)
    if (!acked || !isTerminal(acked.state)) return
    // The terminal update was delivered: the task is done on this agent.
    const fw = this.frameworks.get(frameworkId)
    for (const exec of fw?.executors.values() ?? []) {
      const task = exec.tasks.get(taskId)
      if (!task) continue
      exec.tasks.delete(taskId)
      exec.completedTasks.push(task)
      if (exec.completedTasks.length > 200) exec.completedTasks.shift()
      this.checkpoint.removeTask(frameworkId, taskId)
      this.maybeRemoveExecutor(exec)
    }
  }

  private maybeRemoveExecutor(exec: AgentExecutorBase) {
    if (exec.state !== 'terminated' || exec.tasks.size) return
    const fw = this.frameworks.get(exec.frameworkId)
    if (!fw || fw.executors.get(exec.id) !== exec) return
    fw.executors.delete(exec.id)
    fw.completedExecutors.push(exec)
    if (fw.completedExecutors.length > MAX_COMPLETED_EXECUTORS_PER_FRAMEWORK) fw.completedExecutors.shift()
    this.checkpoint.removeExecutor(exec.frameworkId, exec.id)
    // The sandbox stays browsable (/files) until it is garbage-collected.
    if (!fw.executors.size) this.removeFramework(exec.frameworkId)
  }

  /** A framework with no executors left is forgotten (Mesos does the same), so a restart does not resurrect it. */
  private removeFramework(frameworkId: string) {
    const fw = this.frameworks.get(frameworkId)
    if (!fw || fw.executors.size) return
    this.frameworks.delete(frameworkId)
    this.checkpoint.removeFramework(frameworkId)
    this.completedFrameworks.push(fw)
    if (this.completedFrameworks.length > 50) this.completedFrameworks.shift()
    this.updateDrainStatus()
  }

  // ------------------------------------------------------------------------------------------- drain, shutdown

  /** DRAIN (upstream Slave::drain): kill every task, its grace capped at the drain's; drop new ones until drained. */
  private drain(maxGraceNs: number | undefined, markGone: boolean) {
    this.drainConfig = maxGraceNs === undefined ? { markGone } : { maxGraceNs, markGone }
    const tasks = [...this.frameworks.values()].flatMap(fw => [...fw.executors.values()].flatMap(e => e.activeTasks().map(t => ({ e, t }))))
    log.info(`Initiating drain (max grace period ${maxGraceNs === undefined ? 'none' : `${maxGraceNs / 1e9}s`}${markGone ? ', mark gone' : ''}); killing ${tasks.length} task(s)`)
    for (const { e, t } of tasks) e.kill(t.id, drainKillPolicy(t.info.kill_policy, maxGraceNs))
    this.updateDrainStatus()
  }

  /** upstream Slave::updateDrainStatus: the drain is over once no framework is left. */
  private updateDrainStatus() {
    if (!this.drainConfig || this.frameworks.size) return
    log.info('Agent finished draining')
    this.drainConfig = undefined
  }

  /**
   * SHUTDOWN from the master (marked gone, or its machine is DOWN): every executor and container goes, the checkpoint
   * is cleared so a restart registers a new agent instead of re-adopting anything, and the process exits.
   */
  private async shutdownByMaster(message: string) {
    if (this.shuttingDown) return
    this.shuttingDown = true
    log.error(`Master asked this agent to shut down: ${message}; killing all tasks`)
    // No reconnecting meanwhile: the master refuses this agent anyway.
    this.link?.stop()
    try {
      await Promise.all([...this.frameworks.keys()].map(id => this.shutdownFramework(id)))
      const cp = this.checkpoint
      for (const c of cp.containers()) await this.containerizer.destroy(c.containerId).catch(() => {})
      cp.transaction(() => {
        for (const f of cp.frameworks()) cp.removeFramework(f.id!.value)
        for (const c of cp.containers()) cp.removeContainer(c.containerId)
        cp.setMeta('agent_info', '')
      })
    } catch (err) {
      log.error(`Cleaning up after the master's shutdown failed: ${(err as Error).stack ?? err}`)
    }
    await this.stop()
    process.exit(1)
  }

  // ------------------------------------------------------------------------------------------- ExecutorHost

  frameworkInfo(frameworkId: string): FrameworkInfo {
    return this.frameworks.get(frameworkId)?.info ?? { user: 'root', name: 'unknown', id: { value: frameworkId } }
  }

  update(exec: AgentExecutorBase, task: AgentTask, status: Omit<TaskStatus, 'task_id'>) {
    if (task.terminal) return
    const fwInfo = this.frameworks.get(exec.frameworkId)?.info
    status = drainStatus(status, this.drainConfig, !!fwInfo && hasCapability(fwInfo, 'PARTITION_AWARE'))
    const full: TaskStatus = {
      task_id: task.info.task_id,
      ...status,
      agent_id: { value: this.agentId },
      executor_id: { value: exec.id },
      timestamp: Date.now() / 1000,
    } as TaskStatus
    if (task.containerId && !full.container_status) full.container_status = { container_id: containerIdOf(task.containerId, exec) }
    const stamped = this.statusUpdates.update(exec.frameworkId, full)
    task.state = full.state
    task.statuses.push(stamped)
    if (task.statuses.length > 16) task.statuses.shift()
    this.checkpoint.setTaskState(exec.frameworkId, task.id, full.state, task.statuses)
    this.metrics.validUpdates++
    if (isTerminal(full.state)) this.metrics.tasksEnded[full.state] = (this.metrics.tasksEnded[full.state] ?? 0) + 1
    log.info(`Task ${task.id} of framework ${exec.frameworkId} is ${full.state}${full.message ? `: ${full.message}` : ''}`)
  }

  containerEnded(containerId: string) {
    void this.nested.parentEnded(containerId)
  }

  executorTerminated(exec: AgentExecutorBase, termination?: Termination) {
    this.metrics.executorsTerminated++
    this.containerEnded(exec.containerId)
    this.gc.schedule(exec.sandbox)
    if (exec.kind !== 'command') {
      const msg: AgentMessage = { type: 'EXITED_EXECUTOR', framework_id: exec.frameworkId, executor_id: exec.id }
      if (termination?.waitStatus !== undefined) msg.status = termination.waitStatus
      this.link?.send(msg)
    }
    // Tasks stay until their terminal update is acknowledged.
    for (const t of [...exec.tasks.values()]) {
      if (t.terminal && !this.statusUpdates.hasPending(exec.frameworkId, t.id)) {
        exec.tasks.delete(t.id)
        exec.completedTasks.push(t)
        this.checkpoint.removeTask(exec.frameworkId, t.id)
      }
    }
    // One row's state (reading every executor here made 1,000 exits parse a million rows).
    this.checkpoint.setExecutorState(exec.frameworkId, exec.id, 'terminated')
    this.maybeRemoveExecutor(exec)
    this.resources.retryDeferredRemovals(path => this.volumeInUse(path))
  }

  executorToken(exec: AgentExecutorBase): string | undefined {
    return this.opts.executorToken?.(exec.frameworkId, exec.id, exec.containerId)
  }

  executorEnv(exec: AgentExecutorBase): Record<string, string> {
    const fw = this.frameworkInfo(exec.frameworkId)
    let base: Record<string, string>
    if (this.flags.executor_environment_variables) {
      try { base = JSON.parse(this.flags.executor_environment_variables) } catch { base = {} }
    } else {
      base = {}
      for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('BUN_') && !k.startsWith('MESO_') && !k.startsWith('MESOS_')) base[k] = v
    }
    const env: Record<string, string> = {
      ...base,
      MESOS_FRAMEWORK_ID: exec.frameworkId,
      MESOS_EXECUTOR_ID: exec.id,
      MESOS_DIRECTORY: exec.sandbox,
      MESOS_SANDBOX: exec.sandbox,
      MESOS_AGENT_ENDPOINT: this.endpoint,
      MESOS_SLAVE_ID: this.agentId,
      MESOS_SLAVE_PID: this.pid,
      MESOS_CHECKPOINT: fw.checkpoint ? '1' : '0',
      MESOS_HTTP_COMMAND_EXECUTOR: '0',
      MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD: `${this.flags.executor_shutdown_grace_period / 1000}secs`,
    }
    if (fw.checkpoint) {
      env.MESOS_RECOVERY_TIMEOUT = `${this.flags.recovery_timeout / 60_000}mins`
      env.MESOS_SUBSCRIPTION_BACKOFF_MAX = `${this.flags.executor_reregistration_timeout / 1000}secs`
    }
    return env
  }

  containerStatus(containerId: string, pid: number | undefined): TaskStatus['container_status'] {
    const s: NonNullable<TaskStatus['container_status']> = { container_id: { value: containerId }, network_infos: [{ ip_addresses: [{ protocol: 'IPv4', ip_address: this.opts.ip }] }] }
    const extra = this.containerizer.networkInfos(containerId)
    if (extra) s.network_infos = extra
    if (pid !== undefined) s.executor_pid = pid
    return s
  }

  sendExecutorMessage(frameworkId: string, executorId: string, data: string) {
    this.link?.send({ type: 'EXECUTOR_MESSAGE', framework_id: frameworkId, executor_id: executorId, data })
  }

  // ------------------------------------------------------------------------------------------- queries

  /** v1 Task shape for re-registration and the operator API. */
  taskView(exec: AgentExecutorBase, t: AgentTask): Task {
    const task: Task = {
      name: t.info.name,
      task_id: t.info.task_id,
      framework_id: { value: exec.frameworkId },
      executor_id: { value: exec.id },
      agent_id: { value: this.agentId },
      state: t.state,
      resources: t.info.resources,
      statuses: t.statuses,
    }
    // The update in flight (the oldest unacknowledged, as Mesos' Slave::forward sets it), else the last one.
    const inFlight = this.statusUpdates.pendingFor(exec.frameworkId, t.info.task_id.value)[0] ?? t.statuses[t.statuses.length - 1]
    if (inFlight?.uuid) { task.status_update_state = inFlight.state; task.status_update_uuid = inFlight.uuid }
    if (t.info.labels) task.labels = t.info.labels
    if (t.info.container) task.container = t.info.container
    if (t.info.discovery) task.discovery = t.info.discovery
    if (t.info.kill_policy) task.kill_policy = t.info.kill_policy
    return task
  }

  *executors(): Generator<AgentExecutorBase> {
    for (const fw of this.frameworks.values()) yield* fw.executors.values()
  }

  findExecutor(frameworkId: string, executorId: string): AgentExecutorBase | undefined {
    return this.frameworks.get(frameworkId)?.executors.get(executorId)
  }

  /** The running container of a task, for exec/attach. */
  findTaskContainer(containerId: string): { exec: AgentExecutorBase; task?: AgentTask } | undefined {
    for (const exec of this.executors()) {
      if (exec.containerId === containerId) return { exec, task: exec.kind === 'command' ? [...exec.tasks.values()][0] : undefined }
      for (const t of exec.tasks.values()) if (t.containerId === containerId) return { exec, task: t }
    }
    return undefined
  }
}

function containerIdOf(id: string, exec: AgentExecutorBase): { value: string; parent?: { value: string } } {
  return id === exec.containerId ? { value: id } : { value: id, parent: { value: exec.containerId } }
}

/** The ExecutorInfo Mesos synthesises for a command task (executor id = task id). */
function commandExecutorInfo(frameworkId: string, task: TaskInfo): ExecutorInfo {
  const cmd = task.command?.value ?? ''
  return {
    executor_id: { value: task.task_id.value },
    framework_id: { value: frameworkId },
    name: `Command Executor (Task: ${task.task_id.value}) (Command: ${task.command?.shell === false ? '[' + [cmd, ...(task.command.arguments ?? []).slice(1)].join(', ') + ']' : `sh -c '${cmd.length > 60 ? cmd.slice(0, 57) + '...' : cmd}'`})`,
    command: { value: 'meso command executor (built into the agent)', shell: false },
    source: task.task_id.value,
    resources: task.resources,
  }
}

function readBootId(): string {
  try { return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() } catch { return existsSync('/proc') ? 'unknown' : 'none' }
}
