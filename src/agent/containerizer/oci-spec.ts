// The OCI runtime spec (config.json) meso writes for crun: the base (process, root, standard mounts) built here,
// isolators add their parts (src/agent/isolators). Pure: no I/O.

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
  }
}

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
  /** Capabilities the container keeps when no linux/capabilities isolator narrows them. */
  capabilities: string[]
  /** Whether the container gets a network namespace of its own (else it shares the host's, and /sys is bound). */
  ownNetwork: boolean
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
      noNewPrivileges: false,
    },
    root: { path: i.rootfs, readonly: true },
    mounts: [
      ...i.rootMounts,
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
      { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
      { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
      // sysfs can only be mounted afresh inside a network namespace of the container's own; otherwise bind the host's.
      i.ownNetwork
        ? { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] }
        : { destination: '/sys', type: 'bind', source: '/sys', options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'] },
      { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
      { destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'mode=1777'] },
      { destination: '/run', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'mode=755'] },
      { destination: i.sandbox.container, type: 'bind', source: i.sandbox.host, options: ['rbind', 'rw'] },
    ],
    linux: {
      cgroupsPath: i.cgroupsPath,
      namespaces: [{ type: 'mount' }],
      maskedPaths: ['/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware'],
      readonlyPaths: ['/proc/asound', '/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
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
export function hostRootLayout(entries: HostRootEntry[]): { mounts: OciMount[]; symlinks: { name: string; target: string }[] } {
  const mounts: OciMount[] = []
  const symlinks: { name: string; target: string }[] = []
  for (const e of entries) {
    if (FRESH.has(e.name) || e.name.startsWith('.')) continue
    if (e.kind === 'symlink' && e.target) symlinks.push({ name: e.name, target: e.target })
    else if (e.kind === 'dir') mounts.push({ destination: `/${e.name}`, type: 'bind', source: `/${e.name}`, options: ['rbind', 'ro', 'nosuid', 'nodev'] })
  }
  return { mounts, symlinks }
}
