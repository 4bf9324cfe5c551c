// The network/cni isolator, as Mesos' src/slave/containerizer/mesos/isolators/network/cni/cni.cpp: a top-level
// container whose ContainerInfo names a network gets it in `prepare` (a named network namespace and each network's
// plugin chain, cni-networking.ts), joins it through its OCI spec in `isolate`, reports its addresses in `status`,
// and gives it back in `cleanup`. Nested containers share their parent's namespace (the launcher joins it), so
// they never come here; the containerizer reports the parent's addresses for them.

import type { OciSpec } from '../../../containerizer/oci-spec.ts'
import { joinsNamedNetwork } from '../../../containerizer/launcher.ts'
import type { ContainerRef, IsolationContext, Isolator } from '../../isolator.ts'
import type { CniNetworking, NetworkSetup } from './cni-networking.ts'

export class CniIsolator implements Isolator {
  readonly name = 'network/cni'
  /** Set up by `prepare`, joined by `isolate`. */
  private readonly setups = new Map<string, NetworkSetup>()

  constructor(readonly networking: CniNetworking) {}

  async prepare(ctx: IsolationContext) {
    if (!joinsNamedNetwork(ctx.container, !!ctx.parent)) return
    this.setups.set(ctx.containerId, await this.networking.setup(ctx.containerId, ctx.container!, { sandbox: ctx.sandbox.host }))
  }

  isolate(spec: OciSpec, ctx: IsolationContext) {
    const net = this.setups.get(ctx.containerId)
    if (!net) return
    spec.linux.namespaces.push({ type: 'network', path: net.netnsPath })
    spec.mounts.push(...net.mounts)
    if (net.hostname) { spec.linux.namespaces.push({ type: 'uts' }); spec.hostname = net.hostname }
  }

  status(containerId: string) {
    const infos = this.networking.networkInfos(containerId)
    return infos ? { network_infos: infos } : undefined
  }

  async cleanup(containerId: string) {
    this.setups.delete(containerId)
    await this.networking.teardown(containerId)
  }

  recover(containers: ContainerRef[]) {
    return this.networking.recover(new Set(containers.map(c => c.containerId)))
  }
}
