// The bind backend: the single layer of a one-layer image, bind-mounted read-only as the container's root. Nothing
// is copied and nothing can be written, so it must be chosen explicitly. The mount points the container needs
// (/proc, /dev, the sandbox, …) cannot be created in a read-only root, so they are created once in the layer itself.

import { lstatSync, mkdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { MS_BIND, MS_RDONLY, MS_REC, MS_REMOUNT, mount, umount } from '../fs-syscalls.ts'
import { safeRelative } from '../whiteouts.ts'
import { BackendError, type LayerInfo, type RootfsBackend } from './backend.ts'

export class BindBackend implements RootfsBackend {
  readonly name = 'bind' as const

  async provision(containerDir: string, layers: LayerInfo[], mountPoints: string[]): Promise<string> {
    if (layers.length !== 1) {
      throw new BackendError(`the bind backend only supports single-layer images (this one has ${layers.length} layers); use --image_provisioner_backend=overlay or copy`)
    }
    const src = layers[0]!.dir
    for (const mp of mountPoints) mkdirInside(src, mp.replace(/^\/+/, ''))
    const rootfs = join(containerDir, 'rootfs')
    mkdirSync(rootfs, { recursive: true })
    mount(src, rootfs, null, MS_BIND | MS_REC, null)
    try {
      mount('none', rootfs, null, MS_BIND | MS_REMOUNT | MS_RDONLY, null)
    } catch (err) {
      umount(rootfs)
      throw err
    }
    return rootfs
  }

  async destroy(containerDir: string) {
    umount(join(containerDir, 'rootfs'))
    rmSync(containerDir, { recursive: true, force: true })
  }
}

/** mkdir -p of `rel` under `root`, but never through a symlink the image contains. */
function mkdirInside(root: string, rel: string) {
  if (!rel || !safeRelative(rel)) return
  let p = root
  for (const c of rel.split('/').filter(Boolean)) {
    p = join(p, c)
    let st
    try { st = lstatSync(p) } catch { mkdirSync(p); continue }
    if (!st.isDirectory()) return
  }
}
