// Named network namespaces (`ip netns add`): a bind mount under /var/run/netns that outlives the container and the
// agent, so CNI DEL can run after the container is gone or the agent restarted. Created before the container, ADD
// runs, then crun joins it by path (docs/containerizer.md, CNI).

import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { runCaptured } from './process-output.ts'

export const NETNS_DIR = '/var/run/netns'

/** `meso-` and 12 hex digits of the container id: short enough for `ip netns list`, unique in practice. */
export function netnsName(containerId: string): string {
  return `meso-${containerId.replace(/[^A-Za-z0-9]/g, '').slice(0, 12)}`
}

export const netnsPath = (name: string) => join(NETNS_DIR, name)

const ipBinary = () => Bun.which('ip') ?? ['/usr/sbin/ip', '/sbin/ip', '/bin/ip'].find(p => existsSync(p)) ?? 'ip'

async function ip(args: string[]): Promise<{ ok: boolean; error: string }> {
  const r = await runCaptured([ipBinary(), ...args], { timeoutMs: 30_000 })
  return { ok: r.code === 0, error: (r.stderr || r.stdout).trim() || `exit ${r.code}` }
}

/** Creates the namespace with its loopback up; a leftover of the same name (a crash mid-setup) is replaced. */
export async function createNetns(name: string): Promise<string> {
  let r = await ip(['netns', 'add', name])
  if (!r.ok && /exists/i.test(r.error)) {
    await deleteNetns(name)
    r = await ip(['netns', 'add', name])
  }
  if (!r.ok) throw new Error(`cannot create network namespace ${name}: ${r.error}`)
  const lo = await ip(['-n', name, 'link', 'set', 'lo', 'up'])
  if (!lo.ok) throw new Error(`cannot bring up the loopback interface in network namespace ${name}: ${lo.error}`)
  return netnsPath(name)
}

/** Removes the namespace (unmounts and deletes its file); a namespace already gone is fine. */
export async function deleteNetns(name: string): Promise<void> {
  if (!existsSync(netnsPath(name))) return
  const r = await ip(['netns', 'del', name])
  if (!r.ok && existsSync(netnsPath(name))) throw new Error(`cannot delete network namespace ${name}: ${r.error}`)
}
