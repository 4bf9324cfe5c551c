// A process hosting many simulated agents (sim-agent.ts), started by fleet.ts with Bun.spawn so that the load
// generator's CPU shows up in its own processes, not in the master's or the benchmark's. Configuration comes in
// MESO_SIM_CONFIG (JSON, see SimProcessConfig); the parent talks to it over Bun's IPC channel:
//
//   parent → child  { type: 'stats' } | { type: 'roundTrips', record } | { type: 'stop' }
//   child → parent  { type: 'registered', agents, ms } | { type: 'stats', stats, tasks, byMaster } | { type: 'roundTrips', ms }
//                   | { type: 'error', message }
//
// `roundTrips` answers with the update round trips (STATUS_UPDATE sent → ACKNOWLEDGE received, ms) recorded since
// the last such message, and records from then on only if `record` is true (bounded: a fill of 100k tasks would
// otherwise keep 300k samples nobody asked for).
//
// Given `zk` instead of `url`, the process follows the leading master through one MasterDetector (every agent of
// a real cluster runs its own; one session per process is what a simulator can afford, and the watch fires for
// all alike): its agents register with the leader, and after a leader change re-register with the new one.

import { AGENT_PROTOCOL_PATH } from '../../src/core/agent-protocol.ts'
import type { Logger } from '../../src/core/log.ts'
import { parseResourcesFlag } from '../../src/core/resources.ts'
import type { MasterInfo } from '../../src/core/v1/messages.ts'
import type { MasterDetector } from '../../src/master/ha/detector.ts'
import { emptyStats, SimAgent } from './sim-agent.ts'

/** Agents registered with one master, and when the last of them (re-)registered (ms since the epoch). */
export interface MasterCount { agents: number; lastAt: number }

export interface SimProcessConfig {
  /** ws://host:port/internal/v1/agent; or `zk`. */
  url?: string
  /** zk://host:port/path: follow the leading master there (agents re-register after a failover). */
  zk?: string
  /** Index of this process's first agent in the fleet (names and ports are derived from it). */
  first: number
  count: number
  /** Agent `--resources` syntax. */
  resources: string
  /** How long a task runs before TASK_FINISHED; negative: until killed. */
  taskMs: number
  /** Registrations in flight at once (the master's accept queue is finite). */
  concurrency: number
}

const config = JSON.parse(process.env.MESO_SIM_CONFIG ?? '{}') as SimProcessConfig
const stats = emptyStats()
const agents: SimAgent[] = []
/** Only errors: the benchmark's output is its table. */
const quiet: Logger = { debug() {}, info() {}, warn() {}, error: m => console.error(`simulated agents: ${m}`) }
let detector: MasterDetector | undefined
let recording = false
let roundTrips: number[] = []
const MAX_ROUND_TRIPS = 200_000
const onRoundTrip = (ms: number) => { if (recording && roundTrips.length < MAX_ROUND_TRIPS) roundTrips.push(ms) }

/** A leader's agent endpoint (plain ws://: the benchmarks run without TLS). */
const endpointOf = (leader: MasterInfo | undefined) =>
  (leader ? `ws://${leader.address?.ip ?? leader.hostname}:${leader.address?.port ?? leader.port}${AGENT_PROTOCOL_PATH}` : undefined)

// Every task runs the same time, so a FIFO is already in due order: no heap, no timer per task.
const dueAt: number[] = []
const dueTask: { agent: SimAgent; key: string }[] = []
let dueHead = 0

function onRunning(agent: SimAgent, key: string) {
  if (config.taskMs < 0) return
  dueAt.push(Date.now() + config.taskMs)
  dueTask.push({ agent, key })
}

function finishDue() {
  const now = Date.now()
  while (dueHead < dueAt.length && dueAt[dueHead]! <= now) {
    const { agent, key } = dueTask[dueHead]!
    dueHead++
    agent.finish(key)
  }
  if (dueHead > 50_000) { dueAt.splice(0, dueHead); dueTask.splice(0, dueHead); dueHead = 0 }
}

async function registerAll(): Promise<void> {
  const resources = parseResourcesFlag(config.resources)
  let url = config.url
  const follow = config.zk !== undefined
  if (config.zk) {
    // Loaded only here: a fleet on one master never pays for the ZooKeeper client.
    const { MasterDetector } = await import('../../src/master/ha/detector.ts')
    const d = new MasterDetector(config.zk, { log: quiet })
    detector = d
    url = endpointOf(await d.detect())
    d.onChange(leader => {
      url = endpointOf(leader)
      for (const a of agents) a.retarget(url)
    })
  }
  if (!url) throw new Error('no master to register with (give url or zk)')
  let next = 0
  const worker = async () => {
    while (next < config.count) {
      const i = config.first + next++
      const agent = new SimAgent({
        url: url!, follow, hostname: `sim-agent-${i}.bench`, port: 10_000 + (i % 50_000), resources, stats, onRunning, onRoundTrip,
      })
      agents.push(agent)
      await agent.connect()
    }
  }
  await Promise.all(Array.from({ length: Math.min(config.concurrency, config.count) }, worker))
}

const send = (msg: unknown) => process.send?.(msg)

process.on('message', (msg: { type: string }) => {
  if (msg.type === 'stats') {
    let tasks = 0
    const byMaster: Record<string, MasterCount> = {}
    for (const a of agents) {
      tasks += a.taskCount
      const m = a.registeredWith
      if (!m) continue
      const c = (byMaster[m] ??= { agents: 0, lastAt: 0 })
      c.agents++
      c.lastAt = Math.max(c.lastAt, a.registeredAt)
    }
    send({ type: 'stats', stats, tasks, byMaster })
  } else if (msg.type === 'roundTrips') {
    send({ type: 'roundTrips', ms: roundTrips })
    roundTrips = []
    recording = (msg as { record?: boolean }).record === true
  } else if (msg.type === 'stop') {
    for (const a of agents) a.close()
    void detector?.close()
    // Give the close frames a moment to leave, then go.
    setTimeout(() => process.exit(0), 100)
  }
})

// A benchmark that dies must not leave thousands of agents connected: go with the parent.
process.on('disconnect', () => process.exit(0))

const t0 = performance.now()
try {
  await registerAll()
  send({ type: 'registered', agents: agents.length, ms: performance.now() - t0 })
} catch (err) {
  send({ type: 'error', message: (err as Error).message })
  process.exit(1)
}
setInterval(finishDue, 10)
setInterval(() => { const now = Date.now(); for (const a of agents) a.retryDue(now) }, 1000)
