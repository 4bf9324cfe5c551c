// The agent's /metrics/snapshot, GET_METRICS and GET /metrics, with Mesos' keys (upstream docs/monitoring.md,
// src/slave/metrics.cpp, src/slave/gc.cpp, src/slave/containerizer/...). Gauges are read from the agent here;
// counters and timers are fed where things happen, on the process registry, by the components that do them:
//   gc/*                                       sandbox-gc.ts       (gcMetrics)
//   slave/container_launch_errors, containerizer/mesos/container_destroy_errors, launch histogram
//                                              containerizer.ts    (containerizerMetrics)
//   containerizer/mesos/provisioner/docker_store/image_pull_ms   provisioner (imagePullMetrics)
//   containerizer/fetcher/*                    fetcher             (fetcherMetrics)
//   slave/* counters                           agent.ts            (Agent.metrics)

import { type Counter, processMetrics } from '../core/metrics/registry.ts'
import { PROMETHEUS_CONTENT_TYPE, renderPrometheus } from '../core/metrics/prometheus.ts'
import type { Histogram } from '../core/metrics/histogram.ts'
import type { Timer } from '../core/metrics/timer.ts'
import { Resources } from '../core/resources.ts'
import { systemMetrics } from '../core/system-metrics.ts'
import type { Agent } from './agent.ts'

/** Terminal task states the agent counts (upstream Slave metrics' tasks_* counters). */
const TERMINAL = ['finished', 'failed', 'killed', 'lost'] as const

/** The counters Agent keeps (agent.ts `metrics`), by the place that feeds them. */
export interface AgentCounters {
  validUpdates: number
  invalidUpdates: number
  recoveryErrors: number
  executorsTerminated: number
  validFrameworkMessages: number
  invalidFrameworkMessages: number
  /** Terminal status updates the agent generated, by state (`TASK_FINISHED` …). */
  tasksEnded: Record<string, number>
  /** Seconds the last recovery took; undefined until one has succeeded (upstream says the same). */
  recoveryTimeSecs?: number
}

export function newAgentCounters(): AgentCounters {
  return { validUpdates: 0, invalidUpdates: 0, recoveryErrors: 0, executorsTerminated: 0, validFrameworkMessages: 0, invalidFrameworkMessages: 0, tasksEnded: {} }
}

/** Sandbox GC (sandbox-gc.ts): removals, what is pending, and the age the disk usage allows now. */
export function gcMetrics(pending: () => number, maxAllowedAgeMs: () => number): { succeeded: Counter; failed: Counter } {
  processMetrics.gauge('gc/path_removals_pending', pending, 'Sandbox paths pending garbage collection')
  processMetrics.gauge('slave/executor_directory_max_allowed_age_secs', () => maxAllowedAgeMs() / 1000, 'Maximum allowed age in seconds of an executor directory')
  return {
    succeeded: processMetrics.counter('gc/path_removals_succeeded', 'Sandbox paths removed'),
    failed: processMetrics.counter('gc/path_removals_failed', 'Sandbox path removals that failed'),
  }
}

/** The containerizer (containerizer.ts): top-level launch failures, containers destroyed after one, launch time. */
export function containerizerMetrics(): { launchErrors: Counter; destroyErrors: Counter; launchSeconds: Histogram } {
  return {
    launchErrors: processMetrics.counter('slave/container_launch_errors', 'Executor container launch errors'),
    destroyErrors: processMetrics.counter('containerizer/mesos/container_destroy_errors', 'Containers destroyed because their launch failed'),
    launchSeconds: processMetrics.histogram('containerizer_mesos_container_launch_seconds', 'Time from a container launch being asked to its process running (provisioning, isolation, start)'),
  }
}

/** The image provisioner: how long pulling an image from a registry took (a cached image is no pull). */
export function imagePullMetrics(): Timer {
  return processMetrics.timer('containerizer/mesos/provisioner/docker_store/image_pull_ms', 'Docker image pull latency (ms)')
}

/**
 * The fetcher (src/agent/fetcher/): declared once when it is built, with readers of its cache. Upstream's four keep
 * their names (src/slave/containerizer/fetcher.cpp, FetcherProcess::Metrics); the cache hit/miss and byte counters
 * are meso's.
 */
export function fetcherMetrics(cache: { totalBytes: () => number; usedBytes: () => number }) {
  processMetrics.gauge('containerizer/fetcher/cache_size_total_bytes', cache.totalBytes, 'Configured maximum size of the fetcher cache (bytes)')
  processMetrics.gauge('containerizer/fetcher/cache_size_used_bytes', cache.usedBytes, 'Bytes stored in the fetcher cache')
  return {
    /** Container launches whose URIs were all fetched (launches without URIs count too, as upstream). */
    succeeded: processMetrics.counter('containerizer/fetcher/task_fetches_succeeded', 'Tasks whose URIs were all fetched'),
    failed: processMetrics.counter('containerizer/fetcher/task_fetches_failed', 'Tasks whose fetch failed'),
    /** URIs served from a cache file another fetch had downloaded. */
    cacheHits: processMetrics.counter('containerizer/fetcher/cache_hits', 'URIs served from the fetcher cache'),
    /** URIs with `cache` set that had to be downloaded into the cache. */
    cacheMisses: processMetrics.counter('containerizer/fetcher/cache_misses', 'URIs with cache set that were downloaded into the cache'),
    /** Bytes read from http(s) servers and local files, into the cache or straight into sandboxes. */
    bytesFetched: processMetrics.counter('containerizer/fetcher/bytes_fetched', 'Bytes the fetcher read from servers and local files'),
  }
}

export function agentMetrics(a: Agent): Record<string, number> {
  const c = a.metrics
  const out: Record<string, number> = {
    'slave/registered': a.registered ? 1 : 0,
    'slave/uptime_secs': Date.now() / 1000 - a.startTime,
    'slave/frameworks_active': a.frameworks.size,
    'slave/valid_status_updates': c.validUpdates,
    'slave/invalid_status_updates': c.invalidUpdates,
    'slave/recovery_errors': c.recoveryErrors,
    'slave/executors_terminated': c.executorsTerminated,
    'slave/valid_framework_messages': c.validFrameworkMessages,
    'slave/invalid_framework_messages': c.invalidFrameworkMessages,
  }
  if (c.recoveryTimeSecs !== undefined) out['slave/recovery_time_secs'] = c.recoveryTimeSecs
  const total = Resources.of(a.info.resources)
  let used = Resources.EMPTY
  const execStates: Record<string, number> = { registering: 0, running: 0, terminating: 0 }
  const taskStates: Record<string, number> = {}
  for (const exec of a.executors()) {
    if (exec.state in execStates) execStates[exec.state]!++
    for (const t of exec.tasks.values()) {
      taskStates[t.state] = (taskStates[t.state] ?? 0) + 1
      if (!t.terminal) used = used.plus(Resources.of(t.info.resources))
    }
  }
  for (const r of ['cpus', 'mem', 'disk', 'gpus']) {
    for (const [suffix, revocable] of [['', false], ['_revocable', true]] as const) {
      const pick = (x: Resources) => x.filter(res => !!res.revocable === revocable).scalar(r)
      const t = pick(total), u = pick(used)
      out[`slave/${r}${suffix}_total`] = t
      out[`slave/${r}${suffix}_used`] = u
      out[`slave/${r}${suffix}_percent`] = t > 0 ? u / t : 0
    }
  }
  for (const [k, v] of Object.entries(execStates)) out[`slave/executors_${k}`] = v
  for (const s of ['staging', 'starting', 'running', 'killing']) out[`slave/tasks_${s}`] = taskStates[`TASK_${s.toUpperCase()}`] ?? 0
  for (const s of TERMINAL) out[`slave/tasks_${s}`] = c.tasksEnded[`TASK_${s.toUpperCase()}`] ?? 0
  processMetrics.snapshot(out)
  // Declared by the containerizer when it is built; an agent whose containerizer never failed still says 0.
  out['slave/container_launch_errors'] ??= 0
  return { ...out, ...systemMetrics() }
}

/** Keys computed here that Mesos documents as counters (for the Prometheus TYPE line). */
export function isAgentCounter(key: string): boolean {
  return /^slave\/(tasks_(finished|failed|killed|lost)|executors_terminated|(in)?valid_(status_updates|framework_messages))$/.test(key)
}

/** GET /metrics: the same values in Prometheus' text format. */
export function agentPrometheus(a: Agent): Response {
  const body = renderPrometheus({ snapshot: agentMetrics(a), registries: [processMetrics.describe()], isCounter: isAgentCounter })
  return new Response(body, { headers: { 'Content-Type': PROMETHEUS_CONTENT_TYPE } })
}
