// Starts the services scheduler on a master that has just become the leader: its state from the key-value area,
// the framework on the built-in framework host (subscribed once there is an app, or at once when apps were
// recovered), the event stream, and the service the REST API (services-api.ts) serves. Stopped with the master
// (or when it stops leading).

import { FrameworkHost } from '../builtin-frameworks/host.ts'
import type { KvArea } from '../builtin-frameworks/store.ts'
import { ServiceEvents } from './event-stream.ts'
import { ServiceManager } from './service-manager.ts'
import { ServicesFramework } from './services-framework.ts'

/** The principal the services framework subscribes with when the master authenticates frameworks. */
export const SERVICES_PRINCIPAL = 'meso-services'

export interface RunningServices {
  manager: ServiceManager
  frameworkId(): string
  stop(): void
}

export function startServices(kv: KvArea, opts: { masterUrl: string; agentReregisterMs: number; credential?: { principal: string; secret: string } }): RunningServices {
  const events = new ServiceEvents()
  // Resident apps' reservations carry the framework's principal (required to match it when frameworks authenticate).
  const manager = new ServiceManager(kv.namespace('services'), events, { principal: opts.credential?.principal ?? SERVICES_PRINCIPAL })
  // The roles of reservations being wiped too: their resources are offered only to frameworks in their role.
  const roles = () => [...new Set(['*', ...[...manager.apps.values()].map(a => a.role), ...[...manager.reservations.values()].map(r => r.role)])].sort()
  const framework = new ServicesFramework(manager, opts.credential?.principal, roles, opts.agentReregisterMs)
  const frameworkStore = kv.namespace('services-framework')
  const host = new FrameworkHost(framework, frameworkStore, { masterUrl: opts.masterUrl, ...(opts.credential ? { credential: opts.credential } : {}) })
  // A master without apps has no services framework in its state: it subscribes with the first app.
  let started = false
  const start = () => { if (!started) { started = true; host.start() } }
  if (manager.apps.size || manager.instances.size) start()
  const wants = manager.onWantsOffers
  manager.onWantsOffers = () => { start(); wants() }
  return {
    manager,
    frameworkId: () => frameworkStore.get('framework-id') ?? '',
    stop: () => { host.stop(); events.stop() },
  }
}
