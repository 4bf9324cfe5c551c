// The networks of --network_cni_config_dir, resolved against the plugin binaries of --network_cni_plugins_dir.
// Re-read at every launch that asks for a network (Mesos does the same), so a network added to the directory is
// usable without restarting the agent. A broken file never stops the agent: it is skipped and reported.

import { accessSync, constants, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { CniConfigError, isConfigFile, parseNetworkFile, type CniNetwork } from './network-config.ts'

export interface ResolvedNetworks {
  /** By network name; the first file (in file-name order, as libcni sorts) wins a duplicate name. */
  networks: Map<string, CniNetwork>
  /** Files that were skipped and why, one line each. */
  problems: string[]
}

/**
 * Pure: the networks of a set of config files. `pluginExists` says whether a plugin binary is installed; a network
 * whose chain (or IPAM) needs a missing one is kept with an `error`, so `meso network list` can show why.
 */
export function networksFromFiles(files: { file: string; text: string }[], pluginExists: (type: string) => boolean): ResolvedNetworks {
  const networks = new Map<string, CniNetwork>()
  const problems: string[] = []
  for (const { file, text } of [...files].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0))) {
    let n: CniNetwork
    try {
      n = parseNetworkFile(text, file)
    } catch (err) {
      if (!(err instanceof CniConfigError)) throw err
      problems.push(err.message)
      continue
    }
    const first = networks.get(n.name)
    if (first) {
      problems.push(`${file}: network '${n.name}' is already defined in ${first.file}; ignored`)
      continue
    }
    const missing = requiredPlugins(n).filter(t => !pluginExists(t))
    if (missing.length) n.error = `plugin${missing.length > 1 ? 's' : ''} ${missing.map(m => `'${m}'`).join(', ')} not found in the plugins directory`
    networks.set(n.name, n)
  }
  return { networks, problems }
}

/** Plugin binaries a chain runs: each plugin's type and the IPAM plugin it delegates to. */
export function requiredPlugins(n: CniNetwork): string[] {
  const types = new Set<string>()
  for (const p of n.plugins) {
    types.add(p.type)
    const ipamType = (p.ipam as { type?: unknown } | undefined)?.type
    if (typeof ipamType === 'string' && ipamType) types.add(ipamType)
  }
  return [...types]
}

/** The plugin binary for `type` in the first of `pluginDirs` that has it (CNI_PATH order). */
export function findPlugin(type: string, pluginDirs: string[]): string | undefined {
  for (const dir of pluginDirs) {
    const path = join(dir, type)
    try {
      if (statSync(path).isFile()) { accessSync(path, constants.X_OK); return path }
    } catch { /* not here */ }
  }
  return undefined
}

export function loadNetworks(configDir: string | undefined, pluginDirs: string[]): ResolvedNetworks {
  if (!configDir) return { networks: new Map(), problems: [] }
  let names: string[]
  try {
    names = readdirSync(configDir).filter(isConfigFile)
  } catch (err) {
    return { networks: new Map(), problems: [`cannot read --network_cni_config_dir ${configDir}: ${(err as Error).message}`] }
  }
  const files: { file: string; text: string }[] = []
  const problems: string[] = []
  for (const name of names) {
    const file = join(configDir, name)
    try {
      if (!statSync(file).isFile()) continue
      files.push({ file, text: readFileSync(file, 'utf8') })
    } catch (err) {
      problems.push(`${file}: ${(err as Error).message}`)
    }
  }
  const r = networksFromFiles(files, type => findPlugin(type, pluginDirs) !== undefined)
  return { networks: r.networks, problems: [...problems, ...r.problems] }
}
