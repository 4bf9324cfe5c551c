// Where the persistent volumes among a container's resources appear, without I/O: each volume's directory
// (<work_dir>/volumes/roles/<role>/<id>) at its `disk.volume.container_path`, relative paths inside the sandbox, as
// upstream's filesystem/linux (a bind mount) and filesystem/posix (a sandbox symlink) isolators place them.
// Beyond upstream, which skips (with a warning) any container path holding a '/': nested relative paths are made,
// and absolute ones work with the linux launcher and a container image; whatever cannot be honoured is an error
// naming the volume, never a volume quietly left out.

import { isAbsolute, join, normalize } from 'node:path'
import type { Resource } from '../../core/resources.ts'
import { diskInfo, isPersistentVolume, persistentVolumePath } from './checkpointed-resources.ts'

export class VolumeMountError extends Error {}

export interface VolumeMount {
  persistenceId: string
  /** The volume's directory on the host. */
  source: string
  /** For a path inside the sandbox: where the mount point (linux) or symlink (posix) goes on the host. */
  sandboxTarget?: string
  /** Where the task sees it (linux launcher). */
  destination: string
  readOnly: boolean
}

export interface MountContext {
  workDir: string
  launcher: 'linux' | 'posix'
  sandbox: { host: string; container: string }
  /** The container has its own root filesystem (an image), where absolute mount points can be made. */
  hasImage: boolean
}

export function planVolumeMounts(resources: readonly Resource[], c: MountContext): VolumeMount[] {
  const out: VolumeMount[] = []
  const seen = new Set<string>()
  for (const r of resources) {
    if (!isPersistentVolume(r)) continue
    const disk = diskInfo(r)!
    const id = disk.persistence!.id!
    const what = `Persistent volume '${id}'`
    let source: string
    try { source = persistentVolumePath(c.workDir, r) } catch (err) { throw new VolumeMountError((err as Error).message) }
    const path = disk.volume?.container_path
    if (!path) throw new VolumeMountError(`${what} has no disk.volume.container_path`)
    const readOnly = disk.volume?.mode === 'RO'
    if (readOnly && c.launcher === 'posix') {
      throw new VolumeMountError(`${what} is read-only (mode RO): the posix launcher links volumes into the sandbox and cannot make them read-only; use --launcher=linux`)
    }
    let mount: VolumeMount
    if (isAbsolute(path)) {
      if (c.launcher === 'posix') throw new VolumeMountError(`${what} at '${path}': the posix launcher can place volumes only inside the sandbox (a relative container_path); absolute paths need --launcher=linux`)
      if (!c.hasImage) throw new VolumeMountError(`${what} at '${path}': an absolute path needs a container image (the host root is read-only); use a path relative to the sandbox`)
      mount = { persistenceId: id, source, destination: normalize(path), readOnly }
    } else {
      const rel = normalize(path)
      if (rel === '.' || rel.startsWith('..')) throw new VolumeMountError(`${what} at '${path}': the path escapes the sandbox`)
      mount = { persistenceId: id, source, sandboxTarget: join(c.sandbox.host, rel), destination: join(c.sandbox.container, rel), readOnly }
    }
    // The same volume twice (split resources) is one mount; two volumes at one place are an error.
    const key = `${mount.destination}\u0000${source}`
    if (seen.has(key)) continue
    if (out.some(m => m.destination === mount.destination)) throw new VolumeMountError(`${what}: another volume is already at '${path}'`)
    seen.add(key)
    out.push(mount)
  }
  return out
}
