// volume/secret: Volume.Source type SECRET (upstream src/slave/containerizer/mesos/isolators/volume/secret.cpp).
// Each secret becomes a file of its value, mode 0400, owned by the task's user, at the volume's container_path
// (relative: inside the sandbox). Always on, whatever --isolation says: a task's secret volume is never dropped.
// docs/security-secrets.md.
//
// - linux launcher: the file is written under <runtime_dir>/secrets/<container id>/ (root-only, 0700), outside
//   the sandbox, and bind-mounted read-only at the container path, as upstream mounts its tmpfs file; the sandbox
//   holds only the empty mount point, so the files API and the sandbox listing never see the value. The file goes
//   when the container is destroyed. Put --runtime_dir on a tmpfs (e.g. /run/meso) to keep it off disk, as
//   Mesos' /var/run/mesos is.
// - posix launcher: there is no mount namespace, so the file is written into the sandbox itself (relative paths
//   only) and removed with the container; while the task runs it can be read through the files API by whoever
//   may read that sandbox (access_sandboxes).
//
// The value comes from the in-memory TaskInfo the agent built for the launch (src/agent/secret-values.ts).

import { chmodSync, chownSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, isAbsolute, join, normalize } from 'node:path'
import { lookupUser } from '../../core/posix-user.ts'
import { referencePath } from '../../core/secrets/task-secrets.ts'
import type { Volume } from '../../core/v1/messages.ts'
import type { OciSpec } from '../containerizer/oci-spec.ts'
import { mustSwitchUser } from '../containerizer/user.ts'
import { IsolationError, type IsolationContext, type Isolator } from './isolator.ts'

/** Lists the files the posix form wrote into a sandbox, so cleanup finds them after an agent restart too. */
const POSIX_MANIFEST = 'posix-files.json'

interface SecretFile { hostPath: string; containerPath: string }

/** The SECRET volumes of a container with their bytes; IsolationError for anything that cannot be honoured. */
function secretVolumes(volumes: readonly Volume[] | undefined): { volume: Volume; data: Buffer }[] {
  const out: { volume: Volume; data: Buffer }[] = []
  for (const v of volumes ?? []) {
    if (v.source?.type !== 'SECRET') continue
    const s = v.source.secret
    const data = s?.value?.data
    if (s?.type === 'REFERENCE' || s?.reference || data === undefined) {
      const path = s ? referencePath(s) : undefined
      throw new IsolationError(`Secret volume at '${v.container_path}': ${path ? `secret '${path}' was not resolved by the master` : 'no secret value'}`)
    }
    out.push({ volume: v, data: Buffer.from(data, 'base64') })
  }
  return out
}

function relativeInside(path: string, where: string): string {
  const rel = normalize(path)
  if (rel.startsWith('..') || isAbsolute(rel) || rel === '.') throw new IsolationError(`Secret volume at '${path}': ${where}`)
  return rel
}

export function createVolumeSecret(launcher: 'linux' | 'posix', runtimeDir: string, switchUser: boolean): Isolator {
  const root = join(runtimeDir, 'secrets')
  const dirOf = (containerId: string) => join(root, containerId)
  /** Files to bind per container (linux), from prepare to isolate. */
  const pending = new Map<string, SecretFile[]>()

  const ownerOf = (user: string | undefined): { uid: number; gid: number } | undefined => {
    if (!mustSwitchUser(user, switchUser)) return undefined // the task runs as the agent's user: the file already is
    const u = lookupUser(user!)
    if (!u) throw new IsolationError(`Secret volume: no user '${user}' on this agent to own it`)
    return { uid: u.uid, gid: u.gid }
  }

  const writeSecret = (file: string, data: Buffer, owner: { uid: number; gid: number } | undefined) => {
    mkdirSync(dirname(file), { recursive: true })
    rmSync(file, { force: true })
    writeFileSync(file, data, { mode: 0o400, flag: 'wx' })
    if (owner) chownSync(file, owner.uid, owner.gid)
  }

  return {
    name: 'volume/secret',
    posix: true,
    recover(containers) {
      // Secrets of containers that are gone (destroyed while the agent was down) are removed now.
      const live = new Set(containers.map(c => c.containerId))
      let ids: string[] = []
      try { ids = readdirSync(root) } catch { return }
      for (const id of ids) if (!live.has(id)) this.cleanup!(id)
    },
    prepare(ctx: IsolationContext) {
      const secrets = secretVolumes(ctx.container?.volumes)
      if (!secrets.length) return
      mkdirSync(root, { recursive: true, mode: 0o700 })
      chmodSync(root, 0o700)
      mkdirSync(dirOf(ctx.containerId), { recursive: true, mode: 0o700 })
      if (launcher === 'posix') {
        const owner = ownerOf(ctx.user)
        const written: string[] = []
        for (const { volume, data } of secrets) {
          const rel = relativeInside(volume.container_path, 'the posix launcher can place secret volumes only inside the sandbox (a relative container_path); absolute paths need --launcher=linux')
          const file = join(ctx.sandbox.host, rel)
          written.push(file)
          writeFileSync(join(dirOf(ctx.containerId), POSIX_MANIFEST), JSON.stringify(written))
          writeSecret(file, data, owner)
        }
        return
      }
      const files: SecretFile[] = []
      secrets.forEach(({ volume, data }, i) => {
        let containerPath: string
        if (isAbsolute(volume.container_path)) {
          // The host root a container without an image sees is read-only: no mount point can be made there.
          if (!ctx.container?.mesos?.image) throw new IsolationError(`Secret volume at '${volume.container_path}': an absolute path needs a container image (the host root is read-only); use a path relative to the sandbox`)
          containerPath = normalize(volume.container_path)
        } else {
          const rel = relativeInside(volume.container_path, 'the path escapes the sandbox')
          containerPath = join(ctx.sandbox.container, rel)
          // The mount point, made now in the host's sandbox: empty, so a sandbox listing shows a name and nothing else.
          const point = join(ctx.sandbox.host, rel)
          mkdirSync(dirname(point), { recursive: true })
          writeFileSync(point, '', { mode: 0o400 })
        }
        const hostPath = join(dirOf(ctx.containerId), String(i))
        writeSecret(hostPath, data, undefined)
        files.push({ hostPath, containerPath })
      })
      pending.set(ctx.containerId, files)
    },
    isolate(spec: OciSpec, ctx: IsolationContext) {
      const files = pending.get(ctx.containerId)
      if (!files) return
      pending.delete(ctx.containerId)
      // The spec knows the uid the process runs as (an image's user included): the file is that user's, 0400.
      const { uid, gid } = spec.process.user
      for (const f of files) {
        chownSync(f.hostPath, uid, gid)
        spec.mounts.push({ destination: f.containerPath, type: 'bind', source: f.hostPath, options: ['bind', 'ro', 'nosuid', 'nodev', 'noexec'] })
      }
    },
    cleanup(containerId: string) {
      pending.delete(containerId)
      const dir = dirOf(containerId)
      try {
        for (const file of JSON.parse(readFileSync(join(dir, POSIX_MANIFEST), 'utf8')) as string[]) rmSync(file, { force: true })
      } catch { /* no posix files */ }
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
