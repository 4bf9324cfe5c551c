// `meso task run`: a short-lived framework over the public v1 scheduler API. It waits for an offer that fits,
// launches one command task, streams the sandbox's stdout/stderr (through the agent's /files/read), and returns
// the exit code scripts can trust (exit-codes.ts, docs/exit-status.md).

import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import { exitCodeOfSignal } from '../core/exit-status.ts'
import { currentUserName } from '../core/posix-user.ts'
import { formatRanges, Resources } from '../core/resources.ts'
import type { ContainerInfo, FrameworkInfo, Offer, TaskInfo, TaskStatus } from '../core/v1/messages.ts'
import { isTerminal } from '../core/v1/messages.ts'
import { CliError } from './cluster.ts'
import { EXIT, exitCodeFor, exitedOnItsOwn } from './exit-codes.ts'
import { hostPortsResource, withNetwork, type PortMapping } from './port-mappings.ts'
import { attachContainer } from './container-session.ts'
import { FileFollower, SandboxFile, sandboxPath } from './sandbox-files.ts'
import { SchedulerClient } from './scheduler-client.ts'
import { redetectMaster } from './master-detection.ts'
import { fetchClusterView } from './placement-cluster.ts'
import { neverFits, waitingReason, type PlacementRequest, type Waiting } from './placement-diagnosis.ts'
import { waitingLineDelayMs, WaitingLine } from './placement-progress.ts'

export interface TaskRunOptions {
  master: string
  argv: string[]
  name?: string
  cpus: number
  mem: number
  disk?: number
  /** Whole GPUs; any value, 0 included, adds the GPU_RESOURCES capability (the only way onto GPU agents). */
  gpus?: number
  env: Record<string, string>
  /** Environment variables from the master's secret store: NAME → secret path (docs/security-secrets.md). */
  secretEnv?: Record<string, string>
  /** Files from the secret store: container path (relative: in the sandbox) → secret path. */
  secretFiles?: Record<string, string>
  role: string
  detach: boolean
  /** Seconds to wait for an offer that fits. */
  timeout: number
  user?: string
  container?: ContainerInfo
  /** CNI network to join (ContainerInfo.network_infos[].name); without it the task shares the agent's network. */
  network?: string
  /** Host → container port mappings on `network`; their host ports are requested as `ports` resources. */
  portMappings?: PortMapping[]
  /** Extra TaskInfo fields (ports resources etc.) merged in by callers. */
  extraResources?: TaskInfo['resources']
  onStatus?: (s: TaskStatus) => void
  quiet?: boolean
  /** -t: the task gets a TTY and the CLI attaches to it (input too with -i); Ctrl-P Ctrl-Q detaches. */
  tty?: boolean
  interactive?: boolean
  /** --init / --no-init: the container init as PID 1 (label meso.io/init); undefined: the agent's default. */
  init?: boolean
  /** --uri: fetched into the sandbox by the agent before the command runs (CommandInfo.uris). */
  uris?: NonNullable<NonNullable<TaskInfo['command']>['uris']>
  /** TaskInfo.health_check (--health-cmd and friends; docs/health-checks.md). */
  healthCheck?: Record<string, unknown>
  /** TaskInfo.discovery (--vip: VIP_<n> port labels; docs/discovery.md). */
  discovery?: Record<string, unknown>
}

/** Label that makes the master tear the framework down once it is disconnected and has nothing left to run. */
export const AUTO_TEARDOWN_LABEL = 'meso.io/auto-teardown'
/** How long a TTY task's ended run waits for its attach stream to deliver the rest of what it printed. */
const ATTACH_DRAIN_MS = 3000

export function newTaskId(name: string): string {
  return `${name}.${randomBytes(6).toString('hex')}`
}

export function taskNameFor(argv: string[]): string {
  const first = (argv[0] ?? 'task').split('/').pop()!
  return first.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 40) || 'task'
}

export async function runTask(o: TaskRunOptions): Promise<number> {
  // With an image and no command, the image's Entrypoint/Cmd run (CommandInfo {shell: false} without a value).
  const image = o.container?.mesos?.image?.docker?.name
  if (!o.argv.length && !image) throw new CliError('no command given: meso task run [flags] -- CMD ARGS...', EXIT.USAGE)
  const name = o.name ?? taskNameFor(o.argv.length ? o.argv : [image!])
  const taskId = newTaskId(name)
  const want = Resources.of([
    { name: 'cpus', type: 'SCALAR', scalar: { value: o.cpus } },
    { name: 'mem', type: 'SCALAR', scalar: { value: o.mem } },
    ...(o.disk ? [{ name: 'disk', type: 'SCALAR' as const, scalar: { value: o.disk } }] : []),
    ...(o.gpus ? [{ name: 'gpus', type: 'SCALAR' as const, scalar: { value: o.gpus } }] : []),
    ...(o.extraResources ?? []),
    ...hostPortsResource(o.portMappings ?? []),
  ])
  const container = o.network ? withNetwork(o.container, o.network, o.portMappings ?? []) : o.container
  // A request no agent could ever hold fails now, naming what is short where, instead of after --timeout.
  const placement: PlacementRequest = { want: want.unreserved(), gpuCapable: o.gpus !== undefined }
  const cluster = await fetchClusterView(o.master, placement.gpuCapable)
  const never = cluster && neverFits(placement, cluster, fmt(want))
  if (never) throw new CliError(never, EXIT.LAUNCH_FAILED)
  const user = o.user ?? currentUserName()
  const info: FrameworkInfo = {
    user,
    name: `meso task run (${name})`,
    roles: [o.role],
    capabilities: [{ type: 'MULTI_ROLE' }, { type: 'TASK_KILLING_STATE' }, { type: 'PARTITION_AWARE' }, ...(o.gpus !== undefined ? [{ type: 'GPU_RESOURCES' as const }] : [])],
    checkpoint: true,
    // Attached runs own their task: if the CLI disappears the framework (and task) go after 10 s. Detached runs
    // survive the CLI; the master removes the framework once its task is done.
    failover_timeout: o.detach || o.tty ? 7 * 86400 : 10,
    hostname: hostname(),
    labels: { labels: [{ key: AUTO_TEARDOWN_LABEL, value: 'idle' }] },
  }
  const client = new SchedulerClient(o.master, redetectMaster)
  let launched = false
  /** The newest offer from each agent (what was free there for us), for the waiting reason. */
  const offered = new Map<string, Resources>()
  let waiting: Waiting = waitingReason(placement, cluster, offered)
  const waitingLine = o.quiet ? undefined : new WaitingLine()
  let showWaiting = false
  const noteWaiting = () => {
    if (launched) return
    waiting = waitingReason(placement, cluster, offered)
    if (showWaiting) waitingLine?.show(waiting.reason)
  }
  let agentAddr: string | undefined
  let finalStatus: TaskStatus | undefined
  let settle!: (code: number) => void
  const done = new Promise<number>(r => { settle = r })
  let logs: FileFollower | undefined
  /** The TTY attach while it streams; the exit waits (briefly) for it to drain what the task printed last. */
  let attaching: Promise<void> | undefined
  let detachedByUser = false
  /** The console of a TTY task; the agent hands its first client everything the task printed before it attached. */
  const attachTty = (agent: string, containerId: NonNullable<TaskStatus['container_status']>['container_id']) =>
    attachContainer(agent, containerId!, taskId, { tty: true, noStdin: !o.interactive, detachKeys: [0x10, 0x11] })

  const command = !o.argv.length ? { shell: false } : o.argv.length === 1 && /\s/.test(o.argv[0]!)
    ? { shell: true, value: o.argv[0] } // one quoted string: run it through the shell
    : { shell: false, value: o.argv[0], arguments: o.argv }
  const variables: NonNullable<NonNullable<TaskInfo['command']>['environment']>['variables'] = Object.entries(o.env).map(([k, v]) => ({ name: k, value: v }))
  // Secrets are REFERENCEs: the master resolves them at launch, the CLI never sees a value.
  for (const [k, path] of Object.entries(o.secretEnv ?? {})) variables!.push({ name: k, type: 'SECRET', secret: { type: 'REFERENCE', reference: { name: path } } })
  const secretVolumes = Object.entries(o.secretFiles ?? {}).map(([containerPath, path]) => ({ mode: 'RO' as const, container_path: containerPath, source: { type: 'SECRET', secret: { type: 'REFERENCE' as const, reference: { name: path } } } }))

  const onOffers = async (offers: Offer[]) => {
    const fit = launched ? undefined : offers.find(of => Resources.of(of.resources).unallocated().contains(want))
    for (const of of offers) offered.set(of.agent_id.value, Resources.of(of.resources).unallocated().unreserved())
    if (!fit) noteWaiting()
    const decline = offers.filter(of => of !== fit).map(of => of.id)
    if (decline.length) await client.call('DECLINE', { decline: { offer_ids: decline, filters: { refuse_seconds: 1 } } }).catch(() => {})
    if (!fit) return
    launched = true
    waitingLine?.stop()
    agentAddr = fit.url ? `${fit.url.address.ip ?? fit.url.address.hostname}:${fit.url.address.port}` : undefined
    const role = fit.allocation_info?.role ?? o.role
    const task: TaskInfo = {
      name,
      task_id: { value: taskId },
      agent_id: fit.agent_id,
      resources: want.allocatedTo(role).toWire(true),
      command: { ...command, ...(variables!.length ? { environment: { variables } } : {}), ...(o.uris?.length ? { uris: o.uris } : {}) },
    }
    if (container) task.container = container
    if (o.init !== undefined) task.labels = { labels: [{ key: 'meso.io/init', value: String(o.init) }] }
    if (o.healthCheck) task.health_check = o.healthCheck
    if (o.discovery) task.discovery = o.discovery
    if (secretVolumes.length) task.container = { ...(task.container ?? { type: 'MESOS' }), volumes: [...(task.container?.volumes ?? []), ...secretVolumes] }
    if (o.tty) {
      const size = process.stdout.rows ? { window_size: { rows: process.stdout.rows, columns: process.stdout.columns } } : {}
      task.container = { ...(task.container ?? { type: 'MESOS' }), tty_info: size }
    }
    await client.call('ACCEPT', { accept: { offer_ids: [fit.id], operations: [{ type: 'LAUNCH', launch: { task_infos: [task] } }], filters: { refuse_seconds: 5 } } })
    if (!o.detach && !o.tty && agentAddr) {
      const ids = { framework_id: fit.framework_id, task_id: { value: taskId }, executor_id: { value: taskId } }
      logs = new FileFollower([
        { file: new SandboxFile(agentAddr, sandboxPath(ids, 'stdout')), out: process.stdout },
        { file: new SandboxFile(agentAddr, sandboxPath(ids, 'stderr')), out: process.stderr },
      ])
    }
  }

  await client.subscribe(info, async e => {
    if (e.type === 'OFFERS') await onOffers(e.offers?.offers ?? [])
    else if (e.type === 'UPDATE') {
      const s = e.update!.status
      if (s.task_id.value !== taskId) return
      await client.acknowledge(s).catch(() => {})
      o.onStatus?.(s)
      if (s.state === 'TASK_STARTING' || s.state === 'TASK_RUNNING') logs?.start()
      if (s.state === 'TASK_RUNNING' && o.detach) settle(0)
      if (s.state === 'TASK_RUNNING' && o.tty && agentAddr && s.container_status?.container_id && !attaching) {
        attaching = attachTty(agentAddr, s.container_status.container_id).then(
          r => { if (r.detached) { detachedByUser = true; settle(0) } },
          err => { process.stderr.write(`warning: cannot attach to task ${taskId}: ${(err as Error).message}; its output is in 'meso task logs ${taskId}'\n`) })
      }
      if (isTerminal(s.state)) { finalStatus = s; settle(exitCodeFor(s)) }
    } else if (e.type === 'ERROR') {
      settle(-1)
      if (!finalStatus) finalStatus = { task_id: { value: taskId }, state: 'TASK_LOST', message: e.error?.message }
    }
  })

  const waitingTimer = setTimeout(() => { showWaiting = true; noteWaiting() }, waitingLineDelayMs())
  const timer = setTimeout(() => {
    if (launched) return
    waitingLine?.stop()
    finalStatus = { task_id: { value: taskId }, state: 'TASK_ERROR', message: `no agent could fit ${fmt(want)} within --timeout ${o.timeout}s: ${waiting.reason}; ${waiting.hint}` }
    settle(EXIT.LAUNCH_FAILED)
  }, o.timeout * 1000)

  let interrupted = false
  const onSigint = () => {
    if (interrupted || !launched) { waitingLine?.stop(); process.exit(exitCodeOfSignal('SIGINT')) }
    interrupted = true
    process.stderr.write(`\nkilling task ${taskId}…\n`)
    void client.call('KILL', { kill: { task_id: { value: taskId } } }).catch(() => {})
  }
  process.on('SIGINT', onSigint)

  let code = await done
  clearTimeout(timer)
  clearTimeout(waitingTimer)
  waitingLine?.stop()
  process.off('SIGINT', onSigint)
  if (o.detach && code === 0) {
    process.stdout.write(`${taskId}\n`)
    client.close()
    return 0
  }
  if (detachedByUser) {
    client.close()
    return 0
  }
  // The sandbox outlives the framework, so the final log reads and the teardown need not wait for each other.
  const teardown = client.call('TEARDOWN').catch(() => {})
  await logs?.stop()
  if (attaching) await Promise.race([attaching, Bun.sleep(ATTACH_DRAIN_MS)])
  if (code === -1) code = EXIT.LOST
  if (finalStatus && code !== 0 && !o.quiet) {
    const why = finalStatus.message ? `: ${finalStatus.message}` : ''
    if (!exitedOnItsOwn(finalStatus)) {
      process.stderr.write(`error: task ${taskId} ${finalStatus.state}${why}\n`)
    }
  }
  await teardown
  client.close()
  return code
}

function fmt(r: Resources): string {
  const parts = [`cpus=${r.scalar('cpus')}`, `mem=${r.scalar('mem')}`]
  if (r.scalar('gpus')) parts.push(`gpus=${r.scalar('gpus')}`)
  if (r.ranges('ports').length) parts.push(`ports=${formatRanges(r.ranges('ports'))}`)
  return parts.join(' ')
}
