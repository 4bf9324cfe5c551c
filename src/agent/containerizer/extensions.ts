// Extension points of the linux launcher, each implemented by its own module and registered at agent start:
// images (container root filesystems), networking (CNI), and devices (GPUs). The launcher calls them in a fixed
// order while building a container and cleans up in reverse; none of them knows about the others.

import type { Resources } from '../../core/resources.ts'
import type { CommandInfo, ContainerInfo, Image, NetworkInfo } from '../../core/v1/messages.ts'
import type { OciMount, OciSpec } from './oci-spec.ts'

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
  /** Pulls (or finds in the store) and assembles the rootfs for a container; throws with a clear message. */
  provision(containerId: string, image: Image, opts: { sandbox: string }): Promise<ProvisionedImage>
  /** Unmounts and removes the container's rootfs (layers stay in the shared store). */
  destroy(containerId: string): Promise<void>
  /** After an agent restart: forget rootfs of containers not in `known`, keep the rest mounted. */
  recover(known: Set<string>): Promise<void>
}

export interface NetworkSetup {
  /** Network namespace file the container joins (e.g. /var/run/netns/meso-<id>). */
  netnsPath: string
  /** What to report in TaskStatus.container_status.network_infos. */
  networkInfos: NetworkInfo[]
  /** /etc/hosts, /etc/resolv.conf, /etc/hostname bind mounts. */
  mounts: OciMount[]
  hostname?: string
}

export interface ContainerNetworking {
  /** For containers with ContainerInfo.network_infos: creates the netns and runs the CNI chain (ADD). */
  setup(containerId: string, container: ContainerInfo, opts: { sandbox: string; resources: Resources }): Promise<NetworkSetup>
  /** DEL for every network, netns removal. Idempotent; works after an agent restart (checkpointed state). */
  teardown(containerId: string): Promise<void>
  /** Network infos of a running container (undefined = host network). */
  networkInfos(containerId: string): NetworkInfo[] | undefined
  /** After an agent restart: reload checkpointed state; tear down networks of containers not in `known`. */
  recover(known: Set<string>): Promise<void>
}

export interface DeviceIsolation {
  /** Adds devices, cgroup device rules, mounts and environment for the container's allocated devices. */
  isolate(spec: OciSpec, containerId: string, resources: Resources): Promise<void> | void
  /** Releases what the container held (e.g. GPU indices). */
  release(containerId: string): Promise<void> | void
  recover(containers: { containerId: string; resources: Resources }[]): Promise<void> | void
}

/** The argv Mesos runs for a command in a container with an image (docs: Entrypoint/Cmd vs CommandInfo). */
export type ImageCommand = (command: CommandInfo | undefined, config: ProvisionedImage['config']) => string[]
