// The copy backend: each container gets its own copy of the image, layers applied in order. Before a layer is
// copied in, what it deletes goes: its whiteouts (rm -rf) and the lower contents of its opaque directories; then
// the layer is streamed through GNU tar (which replaces symlinks planted by lower layers instead of writing through
// them, unlike cp -a), and the whiteout devices it brought along are removed.

import { lstatSync, mkdirSync, readdirSync, realpathSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { GNU_TAR_EXTRACT } from '../layer-extract.ts'
import { safeRelative } from '../whiteouts.ts'
import type { LayerInfo, RootfsBackend } from './backend.ts'

export class CopyBackend implements RootfsBackend {
  readonly name = 'copy' as const

  async provision(containerDir: string, layers: LayerInfo[]): Promise<string> {
    const rootfs = join(containerDir, 'rootfs')
    mkdirSync(rootfs, { recursive: true })
    const real = realpathSync(rootfs)
    for (const layer of layers) {
      for (const dir of layer.opaques) {
        const d = resolveInside(real, dir)
        if (d && isRealDir(d)) for (const child of readdirSync(d)) rmSync(join(d, child), { recursive: true, force: true })
      }
      for (const w of layer.whiteouts) {
        const p = resolveInside(real, w)
        if (p) rmSync(p, { recursive: true, force: true })
      }
      await copyTree(layer.dir, rootfs)
      for (const w of layer.whiteouts) {
        const p = resolveInside(real, w)
        if (p && isWhiteoutDevice(p)) rmSync(p, { force: true })
      }
    }
    return rootfs
  }

  async destroy(containerDir: string) {
    rmSync(containerDir, { recursive: true, force: true })
  }
}

/** `tar -C src -cf - . | tar -C dst -xf -`, keeping owners, modes, hard links and file capabilities. */
export async function copyTree(src: string, dst: string) {
  const script = 'tar -C "$1" --xattrs --xattrs-include=security.capability -cf - . | tar -C "$2" -xf - "${@:3}"'
  const p = Bun.spawn(['bash', '-o', 'pipefail', '-c', script, 'copy', src, dst, ...GNU_TAR_EXTRACT], { stdout: 'ignore', stderr: 'pipe', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' } })
  if ((await p.exited) !== 0) throw new Error(`copying layer ${src} failed: ${(await new Response(p.stderr).text()).trim().split('\n')[0]}`)
}

/** `root/rel` if its parent resolves inside `root` (a lower layer's symlink must not redirect a delete). */
function resolveInside(root: string, rel: string): string | undefined {
  if (!rel || !safeRelative(rel)) return undefined
  const p = join(root, rel)
  try {
    const parent = realpathSync(dirname(p))
    return parent === root || parent.startsWith(`${root}/`) ? p : undefined
  } catch { return undefined }
}

function isRealDir(p: string): boolean {
  try { return lstatSync(p).isDirectory() } catch { return false }
}

function isWhiteoutDevice(p: string): boolean {
  try { const st = lstatSync(p); return st.isCharacterDevice() && st.rdev === 0 } catch { return false }
}
