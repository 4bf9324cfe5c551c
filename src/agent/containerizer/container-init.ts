// The container init: a small, statically linked init (Debian's catatonit, else tini-static) run as PID 1 of a
// container's pid namespace, which forwards signals to the task and reaps zombies. Without it the task itself is
// PID 1, and the kernel drops every signal PID 1 installed no handler for, SIGTERM included: `sleep` or
// `python3 -m http.server` then outlive every kill until the grace period ends in SIGKILL. podman run --init
// (catatonit at /run/podman-init) and docker run --init (tini at /sbin/docker-init) do the same.
//
// The binary is bound read-only into the container at INIT_PATH, so it must not need the image's libc: only static
// binaries are used. Exit statuses are unchanged: the init exits with the task's code, or 128+S when a signal S
// killed the task, which is what conmon records for a PID 1 that ends either way (docs/exit-status.md).

import { closeSync, openSync, readSync, realpathSync } from 'node:fs'
import type { Labels } from '../../core/v1/messages.ts'
import type { OciSpec } from './oci-spec.ts'

/** TaskInfo label that asks for (`true`) or opts out of (`false`) the init; `meso task run --init / --no-init`. */
export const INIT_LABEL = 'meso.io/init'

/** Where the init appears inside the container (/dev is the container's own tmpfs, present in every root). */
export const INIT_PATH = '/dev/init'

export interface ContainerInit {
  /** Host path of the static binary. */
  path: string
  kind: 'catatonit' | 'tini'
}

export class InitLabelError extends Error {}

/** The init a TaskInfo's labels ask for: true, false, or undefined (the default). Throws on other values. */
export function initFromLabels(labels: Labels | undefined): boolean | undefined {
  const value = labels?.labels?.find(l => l.key === INIT_LABEL)?.value
  if (value === undefined) return undefined
  if (value === 'true') return true
  if (value === 'false') return false
  throw new InitLabelError(`label ${INIT_LABEL} must be 'true' or 'false', got '${value}'`)
}

/**
 * Whether a container runs the init: as asked, else wherever the task would be PID 1 of a pid namespace of its own
 * (nested containers join their parent's, where the parent's PID 1 already reaps), and only when one is installed.
 * An explicit request on an agent without one never gets here: the launch is refused first (launcher-capabilities.ts).
 */
export function useInit(requested: boolean | undefined, ownPidNamespace: boolean, available: boolean): boolean {
  if (!available) return false
  return requested ?? ownPidNamespace
}

/** Whether a spec gives the container a pid namespace of its own (it is not joined by path). */
export function ownsPidNamespace(spec: OciSpec): boolean {
  return spec.linux.namespaces.some(n => n.type === 'pid' && !n.path)
}

/** Runs the container's process under the init: PID 1 = init, which runs the task's argv as its only child. */
export function withInit(spec: OciSpec, init: ContainerInit): void {
  // tini warns unless it is PID 1 or a subreaper; -s makes it one where the container shares a pid namespace.
  const flags = init.kind === 'tini' ? ['-s', '--'] : ['--']
  spec.process.args = [INIT_PATH, ...flags, ...spec.process.args]
  spec.mounts.push({ destination: INIT_PATH, type: 'bind', source: init.path, options: ['bind', 'ro', 'nosuid', 'nodev'] })
}

/**
 * True for an ELF executable without a PT_INTERP program header: it needs no dynamic loader, so it runs in any
 * root filesystem. Reads the ELF and program headers (either class and byte order).
 */
export function isStaticElf(bytes: Uint8Array): boolean {
  if (bytes.length < 52 || bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) return false
  const is64 = bytes[4] === 2
  const little = bytes[5] === 1
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const phoff = is64 ? Number(view.getBigUint64(0x20, little)) : view.getUint32(0x1c, little)
  const phentsize = view.getUint16(is64 ? 0x36 : 0x2a, little)
  const phnum = view.getUint16(is64 ? 0x38 : 0x2c, little)
  if (phnum === 0 || phoff + phnum * phentsize > bytes.length) return false
  const PT_INTERP = 3
  for (let i = 0; i < phnum; i++) {
    if (view.getUint32(phoff + i * phentsize, little) === PT_INTERP) return false
  }
  return true
}

/** Where an init may be installed, in order of preference (Debian: catatonit, podman's copy, tini-static). */
const CANDIDATES: { name: string; kind: ContainerInit['kind'] }[] = [
  { name: 'catatonit', kind: 'catatonit' },
  { name: '/usr/libexec/podman/catatonit', kind: 'catatonit' },
  { name: 'tini-static', kind: 'tini' },
]

/**
 * The first static init installed on this host, or why there is none (a message for the agent's start log).
 * `which` resolves names on PATH (and checks absolute paths), as Bun.which does.
 */
export function findContainerInit(which: (name: string) => string | null = n => Bun.which(n)): ContainerInit | { missing: string } {
  const dynamic: string[] = []
  for (const c of CANDIDATES) {
    const found = which(c.name)
    if (!found) continue
    let path: string
    try { path = realpathSync(found) } catch { continue }
    if (isStaticElf(readHead(path))) return { path, kind: c.kind }
    dynamic.push(path)
  }
  const why = dynamic.length ? `${dynamic.join(', ')} ${dynamic.length > 1 ? 'are' : 'is'} not statically linked` : 'catatonit is not installed'
  return { missing: why }
}

/** The first 64 KiB of a file: ELF and program headers sit at its start. */
function readHead(path: string): Uint8Array {
  const buf = new Uint8Array(65536)
  let fd: number | undefined
  try {
    fd = openSync(path, 'r')
    return buf.subarray(0, readSync(fd, buf, 0, buf.length, 0))
  } catch {
    return new Uint8Array(0)
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}
