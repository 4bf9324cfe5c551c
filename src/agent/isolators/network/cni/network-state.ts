// The checkpoint of each container's networks, one directory per container under the agent's runtime dir
// (`<runtime_dir>/isolators/network/cni/<container id>/`, beside the container's hosts/hostname/resolv.conf). It
// holds exactly what ADD was given and answered, so DEL can be run with the same configs and prevResult after an
// agent restart. Written before the first ADD and after each network, atomically (temp file, fsync, rename), so a
// crash at any point leaves a state that tears down everything that may exist.

import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import type { NetworkInfo } from '../../../../core/v1/messages.ts'
import type { PluginStdin } from './plugin-config.ts'

export interface NetworkAttachment {
  /** CNI network name. */
  network: string
  /** Interface inside the container: eth0, eth1, … in network_infos order. */
  ifName: string
  /** The task's NetworkInfo for this network (name, labels, port_mappings). */
  request: NetworkInfo
  /** Per plugin, what ADD was given (without prevResult); DEL gets the same. */
  configs: PluginStdin[]
  cniArgs: string
  /** How many plugins of the chain ADD succeeded for; unset until the chain starts (DEL covers up to the next). */
  added?: number
  /** The latest ADD result (the chain's final result once `added` is the chain's length). */
  result?: unknown
}

export interface ContainerNetworkState {
  containerId: string
  /** Name of the network namespace (`ip netns`). */
  netns: string
  hostname: string
  attachments: NetworkAttachment[]
  /** 'adding' until every network's ADD succeeded. */
  phase: 'adding' | 'ready'
}

const STATE_FILE = 'state.json'

export class NetworkStateStore {
  constructor(readonly dir: string) {}

  containerDir(containerId: string): string {
    return join(this.dir, containerId)
  }

  save(state: ContainerNetworkState): void {
    const dir = this.containerDir(state.containerId)
    mkdirSync(dir, { recursive: true })
    writeFileAtomic(join(dir, STATE_FILE), JSON.stringify(state))
  }

  load(containerId: string): ContainerNetworkState | undefined {
    try {
      const s = JSON.parse(readFileSync(join(this.containerDir(containerId), STATE_FILE), 'utf8')) as ContainerNetworkState
      return s && s.containerId === containerId && Array.isArray(s.attachments) ? s : undefined
    } catch {
      return undefined
    }
  }

  /** Every checkpointed container id (directories, even those whose state file was never completed). */
  containerIds(): string[] {
    try { return readdirSync(this.dir, { withFileTypes: true }).filter(d => d.isDirectory()).map(d => d.name) } catch { return [] }
  }

  /** Removes the container's directory: its state and its /etc files. */
  remove(containerId: string): void {
    rmSync(this.containerDir(containerId), { recursive: true, force: true })
  }
}

/** Writes `path` so that a crash leaves either the old or the new content, never a torn file. */
export function writeFileAtomic(path: string, content: string): void {
  const tmp = `${path}.tmp-${process.pid}`
  const fd = openSync(tmp, 'w', 0o644)
  try {
    writeSync(fd, content)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  renameSync(tmp, path)
}
