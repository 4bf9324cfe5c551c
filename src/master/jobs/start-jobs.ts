// Starts the jobs scheduler on a master that has just become the leader: its state from the key-value area, the
// framework on the built-in framework host (subscribed once there is a job), and the service the REST API
// (jobs-api.ts) serves. Stopped with the master (or when it stops leading).

import { FrameworkHost } from '../builtin-frameworks/host.ts'
import type { KvArea } from '../builtin-frameworks/store.ts'
import { JobsFramework } from './jobs-framework.ts'
import { JobsService } from './jobs-service.ts'

/** The principal the jobs framework subscribes with when the master authenticates frameworks. */
export const JOBS_PRINCIPAL = 'meso-jobs'

export interface RunningJobs {
  service: JobsService
  stop(): void
}

export function startJobs(kv: KvArea, opts: { masterUrl: string; historyLimit: number; agentReregisterMs: number; credential?: { principal: string; secret: string } }): RunningJobs {
  const service = new JobsService(kv.namespace('jobs'), { historyLimit: opts.historyLimit })
  const framework = new JobsFramework(service, opts.credential?.principal, opts.agentReregisterMs)
  const host = new FrameworkHost(framework, kv.namespace('jobs-framework'), { masterUrl: opts.masterUrl, ...(opts.credential ? { credential: opts.credential } : {}) })
  // A master without jobs has no jobs framework in its state: it subscribes with the first job (or at once when
  // jobs were recovered), and stays subscribed from then on.
  if (service.specs.size) host.start()
  else {
    let started = false
    service.onJobCreated = () => { if (!started) { started = true; host.start() } }
  }
  return { service, stop: () => host.stop() }
}
