// The OCI runtime spec (config.json) meso writes for crun: the base (process, root, standard mounts) built here,
// isolators add their parts (src/agent/isolators). Pure: no I/O. The base is already locked down
// (docs/security-tasks.md): no new privileges, the secure default capabilities, /proc and /sys paths masked or
// read-only as OCI runtimes' defaults, and host directories bound recursively read-only where the kernel can.

import { kernelAtLeast, type OciSeccomp } from '../isolators/seccomp/profile.ts'

export interface OciMount { destination: string; type: string; source: string; options?: string[] }
export interface OciNamespace { type: string; path?: string }
export interface OciRlimit { type: string; soft: number | string; hard: number | string }

export interface OciSpec {
  ociVersion: string
  process: {
    terminal: boolean
    user: { uid: number; gid: number; additionalGids?: number[] }
    args: string[]
    env: string[]
    cwd: string
    capabilities?: { bounding: string[]; effective: string[]; permitted: string[]; inheritable?: string[]; ambient?: string[] }
    rlimits?: OciRlimit[]
    noNewPrivileges?: boolean
    consoleSize?: { height: number; width: number }
  }
  root: { path: string; readonly: boolean }
  hostname?: string
  /** Runtime-specific settings (crun's run.oci.* keys); other runtimes ignore them. */
  annotations?: Record<string, string>
  mounts: OciMount[]
  linux: {
    cgroupsPath: string
    namespaces: OciNamespace[]
    resources?: {
      memory?: { limit?: number; swap?: number }
      cpu?: { shares?: number; quota?: number; period?: number }
      pids?: { limit: number }
      devices?: { allow: boolean; type?: string; major?: number; minor?: number; access?: string }[]
    }
    devices?: { path: string; type: string; major: number; minor: number; fileMode?: number; uid?: number; gid?: number }[]
    maskedPaths?: string[]
    readonlyPaths?: string[]
    seccomp?: OciSeccomp
  }
}

/**
 * Paths hidden from containers (an empty file or directory over them) and paths made read-only, as moby's
 * daemon/pkg/oci/defaults.go sets them (/proc/interrupts and /sys/devices/virtual/powercap for its advisories
 * GHSA-6fw5-f8r9-fgfm and GHSA-jq35-85cj-fj4p). Runtimes skip those the kernel does not have.
 */
export const MASKED_PATHS: readonly string[] = [
  '/proc/acpi', '/proc/asound', '/proc/interrupts', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/sched_debug', '/proc/scsi',
  '/proc/timer_list', '/proc/timer_stats', '/sys/devices/virtual/powercap', '/sys/firmware',
]
export const READONLY_PATHS: readonly string[] = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger']

/**
 * The mount option for a read-only bind: `rro` (recursive, through mount_setattr, Linux 5.12+; crun and runc 1.1+)
 * makes the mounts below a bound host directory read-only too, where plain `ro` covers only the top one.
 */
export const readOnlyBindOption = (kernelRelease: string): 'rro' | 'ro' => (kernelAtLeast(kernelRelease, '5.12') ? 'rro' : 'ro')

/** Marker replaced by the literal 2^64-1 when the spec is serialized (JS numbers cannot hold it). */
export const RLIM_INFINITY_MARKER = '__RLIM_INFINITY__'

export function serializeSpec(spec: OciSpec): string {
  return JSON.stringify(spec).replaceAll(`"${RLIM_INFINITY_MARKER}"`, '18446744073709551615')
}

export interface BaseSpecInput {
  argv: string[]
  env: Record<string, string>
  cwd: string
  uid: number
  gid: number
  cgroupsPath: string
  /** Host directory holding the container's (initially empty) root. */
  rootfs: string
  /** Bind mounts that make up the root filesystem (host directories read-only, or an image rootfs). */
  rootMounts: OciMount[]
  /** Host sandbox directory and where it appears inside. */
  sandbox: { host: string; container: string }
  terminal: boolean
  /** The container's capabilities before linux/capabilities (which the linux launcher always runs) sets them. */
  capabilities: string[]
  /** Whether the container gets a network namespace of its own (else it shares the host's, and /sys is bound). */
  ownNetwork: boolean
  /** `rro` where the kernel has recursive read-only binds (readOnlyBindOption), else `ro`. */
  readOnly?: 'rro' | 'ro'
}

export function baseSpec(i: BaseSpecInput): OciSpec {
  const env = Object.entries(i.env).map(([k, v]) => `${k}=${v}`)
  if (!('PATH' in i.env)) env.push('PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin')
  const caps = i.capabilities
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: i.terminal,
      user: { uid: i.uid, gid: i.gid },
      args: i.argv,
      env,
      cwd: i.cwd,
      capabilities: { bounding: caps, effective: caps, permitted: caps, inheritable: [], ambient: [] },
      // setuid binaries and file capabilities (the host's /usr/bin/mount, su, ping) gain nothing inside a task.
      noNewPrivileges: true,
    },
    root: { path: i.rootfs, readonly: true },
    mounts: [
      ...i.rootMounts,
      { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
      { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
      { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
      // sysfs can only be mounted afresh inside a network namespace of the container's own; otherwise bind the host's.
      i.ownNetwork
        ? { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] }
        : { destination: '/sys', type: 'bind', source: '/sys', options: ['rbind', 'nosuid', 'noexec', 'nodev', i.readOnly ?? 'ro'] },
      { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
      { destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'mode=1777'] },
      { destination: '/run', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'mode=755'] },
      { destination: i.sandbox.container, type: 'bind', source: i.sandbox.host, options: ['rbind', 'rw'] },
    ],
    linux: {
      cgroupsPath: i.cgroupsPath,
      namespaces: [{ type: 'mount' }],
      maskedPaths: [...MASKED_PATHS],
      readonlyPaths: [...READONLY_PATHS],
    },
  }
}

/** A host directory entry as seen by readdir+lstat of "/". */
export interface HostRootEntry { name: string; kind: 'dir' | 'symlink' | 'other'; target?: string }

/** Directories the container gets fresh (not from the host). */
const FRESH = new Set(['proc', 'sys', 'dev', 'tmp', 'run', 'mnt', 'lost+found'])

/**
 * The host root filesystem, read-only, for containers without an image: every top-level host directory bind-mounted
 * read-only into an empty root, top-level symlinks (merged /usr: /bin → usr/bin) recreated as symlinks.
 */
export function hostRootLayout(entries: HostRootEntry[], readOnly: 'rro' | 'ro' = 'ro'): { mounts: OciMount[]; symlinks: { name: string; target: string }[] } {
  const mounts: OciMount[] = []
  const symlinks: { name: string; target: string }[] = []
  for (const e of entries) {
    if (FRESH.has(e.name) || e.name.startsWith('.')) continue
    if (e.kind === 'symlink' && e.target) symlinks.push({ name: e.name, target: e.target })
    else if (e.kind === 'dir') mounts.push({ destination: `/${e.name}`, type: 'bind', source: `/${e.name}`, options: ['rbind', readOnly, 'nosuid', 'nodev'] })
  }
  return { mounts, symlinks }
}
