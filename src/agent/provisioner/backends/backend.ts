// Provisioner backends assemble a container's root filesystem from unpacked layers (MESOS-5931 order for `auto`:
// overlay > aufs > copy). Each backend lives in its own module; none knows about the others.

export type BackendName = 'overlay' | 'aufs' | 'copy' | 'bind'

export interface LayerInfo {
  digest: string
  /** The unpacked layer (overlay form). */
  dir: string
  /** Short path to `dir` (overlay's lowerdir option must fit in one page). */
  link: string
  whiteouts: string[]
  opaques: string[]
}

export interface RootfsBackend {
  readonly name: BackendName
  /** Builds the root for one container under `containerDir` (its own directory); returns the rootfs path. */
  provision(containerDir: string, layers: LayerInfo[], mountPoints: string[]): Promise<string>
  /** Unmounts and removes what provision made. Idempotent. */
  destroy(containerDir: string): Promise<void>
}

export class BackendError extends Error {}

/**
 * The backend for `--image_provisioner_backend` given the kernel's filesystems (/proc/filesystems). `auto` takes
 * overlay when the kernel has it and copy otherwise. aufs is never picked: meso keeps layers in overlay form (0/0
 * devices and xattrs instead of aufs' `.wh.` files), so there is no aufs backend, and kernels since 5.x lack aufs.
 */
export function selectBackend(flag: string | undefined, filesystems: Set<string>): BackendName {
  const want = (flag || 'auto').toLowerCase()
  switch (want) {
    case 'auto': return filesystems.has('overlay') ? 'overlay' : 'copy'
    case 'overlay':
      if (!filesystems.has('overlay')) throw new BackendError("--image_provisioner_backend=overlay: this kernel has no overlay filesystem (not in /proc/filesystems; try 'modprobe overlay', or use copy)")
      return 'overlay'
    case 'aufs':
      if (!filesystems.has('aufs')) throw new BackendError('--image_provisioner_backend=aufs: this kernel has no aufs (not in /proc/filesystems); use overlay or copy')
      throw new BackendError('--image_provisioner_backend=aufs: meso has no aufs backend (layers are kept in overlay form); use overlay or copy')
    case 'copy': case 'bind': return want
    default: throw new BackendError(`--image_provisioner_backend must be one of auto, overlay, aufs, copy, bind; got '${flag}'`)
  }
}

export function kernelFilesystems(text: string): Set<string> {
  return new Set(text.split('\n').map(l => l.trim().split(/\s+/).pop()!).filter(Boolean))
}
