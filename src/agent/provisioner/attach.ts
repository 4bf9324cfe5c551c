// Wires Docker/OCI images into an agent: with the linux launcher and `docker` in --image_providers (the default
// there), the containerizer gets a DockerImageProvisioner, the agent gets the /api/meso/v1/images endpoints, and the
// operator API answers PRUNE_IMAGES.

import type { Router } from '../../core/http/router.ts'
import { logger } from '../../core/log.ts'
import type { ContainerCallHandler } from '../operator-api.ts'
import { DockerImageProvisioner, dockerImagesEnabled } from './docker-provisioner.ts'
import { registerImageEndpoints, withPruneImages } from './image-endpoints.ts'

const log = logger('provisioner')

export interface AttachedImages {
  provisioner?: DockerImageProvisioner
  /** Wraps the agent's container call handler so PRUNE_IMAGES is answered. */
  operatorCalls(next: ContainerCallHandler | undefined): ContainerCallHandler | undefined
  /** Registers /api/meso/v1/images…; `authorize` applies the agent's read-only / read-write HTTP authentication. */
  routes(router: Router, authorize: (req: Request, readwrite: boolean) => Response | undefined): void
}

export function attachDockerImages(launcher: 'linux' | 'posix', flags: Record<string, any>, workDir: string): AttachedImages {
  const enabled = dockerImagesEnabled(flags)
  if (launcher !== 'linux' || !enabled) {
    if (enabled && flags.image_providers) log.warn('--image_providers=docker needs the linux launcher; tasks with images will fail on this agent')
    return { operatorCalls: next => next, routes: () => {} }
  }
  const p = new DockerImageProvisioner(flags, workDir)
  return {
    provisioner: p,
    operatorCalls: next => withPruneImages(next, p),
    routes: (router, authorize) => registerImageEndpoints(router, p, authorize),
  }
}
