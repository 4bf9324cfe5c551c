// The provisioner interface the containerizer uses for container images, as Mesos' provisioner
// (src/slave/containerizer/mesos/provisioner/provisioner.hpp): provision a root filesystem before the isolators
// prepare, destroy it after they cleaned up, recover it after an agent restart. Implemented for Docker/OCI images by
// src/agent/provisioner/docker-provisioner.ts; images need the linux launcher.

import type { Image } from '../../core/v1/messages.ts'
import type { OciMount } from './oci-spec.ts'

/** What a provisioned image contributes: its root filesystem and the runtime config in its manifest. */
export interface ProvisionedImage {
  /** Host directory to use as the container's root (overlay mount point, copy, or bind source). */
  rootfs: string
  /** Extra mounts needed to assemble the root (e.g. a read-only bind for the `bind` backend). */
  mounts?: OciMount[]
  config: {
    entrypoint?: string[]
    cmd?: string[]
    /** `KEY=VALUE` entries from the image. */
    env?: string[]
    workingDir?: string
    user?: string
  }
}

export interface ImageProvisioner {
  /**
   * Pulls (or finds in the store) and assembles the rootfs for a container; throws with a clear message. `signal`
   * abandons a pull in progress (the container's task was killed).
   */
  provision(containerId: string, image: Image, opts: { sandbox: string; signal?: AbortSignal }): Promise<ProvisionedImage>
  /** Unmounts and removes the container's rootfs (layers stay in the shared store). */
  destroy(containerId: string): Promise<void>
  /** After an agent restart: forget rootfs of containers not in `known`, keep the rest mounted. */
  recover(known: Set<string>): Promise<void>
}
