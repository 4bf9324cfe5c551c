// The NVIDIA driver's userspace (libcuda, libnvidia-ml, nvidia-smi, …) that GPU containers bind-mount read-only,
// as Mesos' NVIDIA volume. Where it comes from, in order: --nvidia_driver_dir; /usr/local/nvidia when the host keeps
// the driver there (bin/, lib64/); else a volume the agent assembles under its runtime dir by copying the driver's
// binaries from PATH and its libraries from the ld cache (`ldconfig -p`), Mesos' lists (from libnvidia-container).
// Parsing and planning are pure; the file operations take an injectable file system.

import { chmodSync, copyFileSync, existsSync, mkdirSync, realpathSync, renameSync, statSync, symlinkSync } from 'node:fs'
import { basename, join } from 'node:path'
import type { OciMount } from '../../containerizer/oci-spec.ts'
import type { CommandRunner } from './nvidia-smi.ts'

/** Where the volume appears in containers with an image (the path CUDA images and the Mesos docs expect). */
export const CONTAINER_DRIVER_PATH = '/usr/local/nvidia'

export const DRIVER_BINARIES = ['nvidia-smi', 'nvidia-debugdump', 'nvidia-persistenced', 'nvidia-cuda-mps-control', 'nvidia-cuda-mps-server']

/** Library name prefixes; the generic GL/EGL loaders of Mesos' list are left out (they may be Mesa's, not NVIDIA's). */
export const DRIVER_LIBRARIES = [
  'libnvidia-ml.so', 'libnvidia-cfg.so', 'libcuda.so', 'libnvidia-opencl.so', 'libnvidia-ptxjitcompiler.so',
  'libnvidia-fatbinaryloader.so', 'libnvidia-compiler.so', 'libnvidia-nvvm.so', 'libvdpau_nvidia.so', 'libnvidia-encode.so',
  'libnvcuvid.so', 'libnvidia-eglcore.so', 'libnvidia-glcore.so', 'libnvidia-tls.so', 'libnvidia-glsi.so',
  'libnvidia-fbc.so', 'libnvidia-ifr.so', 'libGLX_nvidia.so', 'libEGL_nvidia.so', 'libGLESv2_nvidia.so', 'libGLESv1_CM_nvidia.so',
]

export interface DriverVolume {
  /** Host directory holding bin/ and lib64/ (and maybe lib/). */
  hostPath: string
  /** How it was found, for the start-up log line. */
  source: 'flag' | 'host' | 'assembled'
}

export interface LdCacheEntry { name: string; path: string; is64: boolean }

/** `ldconfig -p` lines: `\tlibcuda.so.1 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libcuda.so.1`. */
export function parseLdconfig(text: string): LdCacheEntry[] {
  const out: LdCacheEntry[] = []
  for (const line of text.split('\n')) {
    const m = /^\s+(\S+)\s+\(([^)]*)\)\s+=>\s+(\S+)\s*$/.exec(line)
    if (m) out.push({ name: m[1]!, path: m[3]!, is64: /x86-64|64bit|AArch64/i.test(m[2]!) })
  }
  return out
}

export interface VolumePlan {
  /** Files to copy: `to` is relative to the volume (bin/nvidia-smi, lib64/libcuda.so.580.1). */
  copies: { from: string; to: string }[]
  /** Symlinks by soname, relative to the volume (lib64/libcuda.so.1 → libcuda.so.580.1). */
  links: { path: string; target: string }[]
}

/**
 * What to copy into an assembled volume: each binary found, and every ld-cache library matching the list, copied
 * once under its real file name with its cache name linked to it (64-bit in lib64/, 32-bit in lib/).
 */
export function planDriverVolume(libraries: (LdCacheEntry & { realPath: string })[], binaries: { name: string; realPath: string }[]): VolumePlan {
  const copies = new Map<string, string>()
  const links = new Map<string, string>()
  for (const b of binaries) copies.set(`bin/${b.name}`, b.realPath)
  for (const l of libraries) {
    if (!DRIVER_LIBRARIES.some(prefix => l.name.startsWith(prefix))) continue
    const dir = l.is64 ? 'lib64' : 'lib'
    const file = basename(l.realPath)
    copies.set(`${dir}/${file}`, l.realPath)
    if (l.name !== file) links.set(`${dir}/${l.name}`, file)
  }
  return { copies: [...copies].map(([to, from]) => ({ from, to })), links: [...links].map(([path, target]) => ({ path, target })) }
}

export interface VolumeDeps {
  run: CommandRunner
  which: (name: string) => string | null | undefined
  exists: (p: string) => boolean
  realpath: (p: string) => string
  /** Copies a file unless the same size is already there (restarts do not copy the driver again). */
  copy: (from: string, to: string) => void
  symlink: (target: string, path: string) => void
  mkdir: (p: string) => void
}

export const hostVolumeDeps = (run: CommandRunner): VolumeDeps => ({
  run,
  which: name => Bun.which(name),
  exists: existsSync,
  realpath: realpathSync,
  copy: (from, to) => {
    if (existsSync(to) && statSync(to).size === statSync(from).size) return
    // Copy aside and rename: running containers may have the old file mapped, so it must not change under them.
    copyFileSync(from, `${to}.tmp`)
    chmodSync(`${to}.tmp`, statSync(from).mode & 0o7777)
    renameSync(`${to}.tmp`, to)
  },
  symlink: (target, path) => { if (!existsSync(path)) symlinkSync(target, path) },
  mkdir: p => mkdirSync(p, { recursive: true }),
})

/** Finds or assembles the driver volume; undefined when this host has no driver userspace to give. */
export async function resolveDriverVolume(o: { driverDir?: string; runtimeDir: string }, deps: VolumeDeps): Promise<DriverVolume | undefined> {
  if (o.driverDir) {
    if (!deps.exists(o.driverDir)) throw new Error(`--nvidia_driver_dir ${o.driverDir} does not exist`)
    return { hostPath: o.driverDir, source: 'flag' }
  }
  if (['bin', 'lib64'].some(d => deps.exists(join(CONTAINER_DRIVER_PATH, d)))) return { hostPath: CONTAINER_DRIVER_PATH, source: 'host' }
  const ld = await deps.run(['ldconfig', '-p']).catch(() => ({ code: 1, stdout: '', stderr: '' }))
  const libraries = parseLdconfig(ld.code === 0 ? ld.stdout : '').map(e => ({ ...e, realPath: deps.realpath(e.path) }))
  const binaries = DRIVER_BINARIES.flatMap(name => {
    const p = deps.which(name)
    return p ? [{ name, realPath: deps.realpath(p) }] : []
  })
  const plan = planDriverVolume(libraries, binaries)
  if (!plan.copies.length) return undefined
  const dir = join(o.runtimeDir, 'gpu', 'nvidia-driver')
  for (const sub of ['bin', 'lib', 'lib64']) deps.mkdir(join(dir, sub))
  for (const c of plan.copies) deps.copy(c.from, join(dir, c.to))
  for (const l of plan.links) deps.symlink(l.target, join(dir, l.path))
  return { hostPath: dir, source: 'assembled' }
}

/**
 * Where the volume goes in a container: /usr/local/nvidia when it has its own (image) root; with the host's root
 * shared read-only, the same path as on the host, which exists there already (a new directory could not be made
 * inside a read-only bind of /usr).
 */
export function driverMount(volume: DriverVolume, imageRoot: boolean): { mount: OciMount; containerPath: string } {
  const containerPath = imageRoot ? CONTAINER_DRIVER_PATH : volume.hostPath
  return { containerPath, mount: { destination: containerPath, type: 'bind', source: volume.hostPath, options: ['rbind', 'ro', 'nosuid', 'nodev'] } }
}
