// The overlay backend: one overlay mount per container, the layers read-only below (topmost first in lowerdir),
// and an upper and work directory of the container's own (never shared between live mounts: the kernel only warns).
// Layers are named by their short links so the option string fits in one page (4096 bytes) for ~70 layers; beyond
// that, mount(8) runs in the links' directory with relative names (~250 layers).

import { mkdirSync, rmSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { mount, umount } from '../fs-syscalls.ts'
import type { LayerInfo, RootfsBackend } from './backend.ts'

const PAGE = 4096
const escape = (p: string) => p.replace(/[\\,:]/g, c => `\\${c}`)

export function overlayOptions(lowers: string[], upper: string, work: string): string {
  return `lowerdir=${lowers.map(escape).join(':')},upperdir=${escape(upper)},workdir=${escape(work)}`
}

export class OverlayBackend implements RootfsBackend {
  readonly name = 'overlay' as const

  async provision(containerDir: string, layers: LayerInfo[]): Promise<string> {
    const rootfs = join(containerDir, 'rootfs'), upper = join(containerDir, 'upper'), work = join(containerDir, 'work')
    for (const d of [rootfs, upper, work]) mkdirSync(d, { recursive: true })
    const lowers = layers.map(l => l.link).reverse()
    const opts = overlayOptions(lowers, upper, work)
    if (opts.length < PAGE - 1) {
      mount('overlay', rootfs, 'overlay', 0, opts)
      return rootfs
    }
    const cwd = dirname(lowers[0]!)
    const relative = overlayOptions(lowers.map(l => basename(l)), upper, work)
    if (relative.length >= PAGE - 1) throw new Error(`the image has too many layers (${layers.length}) for one overlay mount`)
    const p = Bun.spawn(['mount', '-t', 'overlay', 'overlay', '-o', relative, rootfs], { cwd, stdout: 'ignore', stderr: 'pipe' })
    if ((await p.exited) !== 0) throw new Error(`mount -t overlay failed: ${(await new Response(p.stderr).text()).trim()}`)
    return rootfs
  }

  async destroy(containerDir: string) {
    umount(join(containerDir, 'rootfs'))
    rmSync(containerDir, { recursive: true, force: true })
  }
}
