// CNI network configuration files, read as Mesos and libcni read them: a `.conflist` holds a named chain of plugins
// ({name, cniVersion, plugins: […]}, e.g. bridge then portmap); a `.conf` or `.json` holds one plugin config that is
// also the network ({name, cniVersion, type, …}). Networks are known by their `name`, never by their file name.
// Pure: text in, a network out (or a CniConfigError saying what is wrong with which file).

export interface PluginConf {
  type: string
  /** Runtime capabilities the plugin accepts in `runtimeConfig` (e.g. portMappings for portmap). */
  capabilities?: Record<string, boolean>
  [key: string]: unknown
}

export interface CniNetwork {
  name: string
  cniVersion: string
  /** The chain, in ADD order; a single-plugin `.conf` is a chain of one. */
  plugins: PluginConf[]
  /** Where it was read from. */
  file: string
  /** Set when the network is listed but cannot be used (e.g. a plugin binary is missing); launches are refused. */
  error?: string
}

export class CniConfigError extends Error {}

/** Result and config versions the distro plugins speak (docs/containerizer.md, CNI); 1.1.0 is refused by them. */
export const SUPPORTED_CNI_VERSIONS = ['0.1.0', '0.2.0', '0.3.0', '0.3.1', '0.4.0', '1.0.0'] as const

/** Names as libcni accepts them (also safe in iptables comments and host-local's dataDir). */
const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/

/** Files in the config dir that hold networks; others (README, backups) are ignored, as libcni does. */
export const CONFIG_EXTENSIONS = ['.conf', '.conflist', '.json'] as const

export function isConfigFile(fileName: string): boolean {
  return !fileName.startsWith('.') && CONFIG_EXTENSIONS.some(ext => fileName.endsWith(ext))
}

/** Semantic version comparison for CNI versions (`a >= b`). */
export function versionAtLeast(a: string, b: string): boolean {
  const pa = a.split('.').map(Number)
  const pb = b.split('.').map(Number)
  for (let i = 0; i < 3; i++) {
    const x = pa[i] ?? 0, y = pb[i] ?? 0
    if (x !== y) return x > y
  }
  return true
}

export function parseNetworkFile(text: string, file: string): CniNetwork {
  let obj: unknown
  try {
    obj = JSON.parse(text)
  } catch (err) {
    throw new CniConfigError(`${file}: not valid JSON (${(err as Error).message})`)
  }
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) throw new CniConfigError(`${file}: expected a JSON object`)
  const conf = obj as Record<string, unknown>
  const name = conf.name
  if (typeof name !== 'string' || !name) throw new CniConfigError(`${file}: missing "name" (networks are named by it)`)
  if (!NAME.test(name)) throw new CniConfigError(`${file}: invalid network name '${name}' (letters, digits, '_', '.', '-')`)
  // libcni treats a config without a version as 0.1.0.
  const cniVersion = conf.cniVersion === undefined ? '0.1.0' : conf.cniVersion
  if (typeof cniVersion !== 'string' || !(SUPPORTED_CNI_VERSIONS as readonly string[]).includes(cniVersion)) {
    throw new CniConfigError(`${file}: network '${name}' has unsupported cniVersion ${JSON.stringify(cniVersion)} (supported: ${SUPPORTED_CNI_VERSIONS.join(', ')})`)
  }
  let plugins: PluginConf[]
  if ('plugins' in conf) {
    if (!Array.isArray(conf.plugins) || !conf.plugins.length) throw new CniConfigError(`${file}: network '${name}' has an empty "plugins" list`)
    plugins = conf.plugins.map((p, i) => pluginOf(p, `${file}: network '${name}' plugins[${i}]`))
  } else {
    const { name: _n, cniVersion: _v, ...plugin } = conf
    plugins = [pluginOf(plugin, `${file}: network '${name}'`)]
  }
  // Chaining (prevResult) exists since 0.3.0; older plugins would ignore the previous result.
  if (plugins.length > 1 && !versionAtLeast(cniVersion, '0.3.0')) {
    throw new CniConfigError(`${file}: network '${name}' chains ${plugins.length} plugins but cniVersion ${cniVersion} has no chaining (use 0.3.0 or later)`)
  }
  return { name, cniVersion, plugins, file }
}

function pluginOf(p: unknown, where: string): PluginConf {
  if (!p || typeof p !== 'object' || Array.isArray(p)) throw new CniConfigError(`${where}: expected a plugin object`)
  const plugin = p as Record<string, unknown>
  if (typeof plugin.type !== 'string' || !plugin.type) throw new CniConfigError(`${where}: missing plugin "type"`)
  if (plugin.type.includes('/')) throw new CniConfigError(`${where}: plugin type '${plugin.type}' must be a file name in the plugins directory`)
  return plugin as PluginConf
}

/** Whether some plugin of the chain takes `capability` through runtimeConfig. */
export function hasCapability(network: CniNetwork, capability: string): boolean {
  return network.plugins.some(p => p.capabilities?.[capability] === true)
}

/** What `meso network list` and the agent's /api/meso/v1/networks show of a network. */
export interface NetworkSummary {
  name: string
  cni_version: string
  plugins: string[]
  file: string
  bridge?: string
  subnets: string[]
  capabilities: string[]
  error?: string
}

export function summarizeNetwork(n: CniNetwork): NetworkSummary {
  const subnets: string[] = []
  let bridge: string | undefined
  for (const p of n.plugins) {
    if (typeof p.bridge === 'string') bridge ??= p.bridge
    else if (p.type === 'bridge') bridge ??= 'cni0' // the bridge plugin's default name
    subnets.push(...ipamSubnets(p.ipam))
  }
  const capabilities = [...new Set(n.plugins.flatMap(p => Object.entries(p.capabilities ?? {}).filter(([, on]) => on).map(([c]) => c)))]
  const s: NetworkSummary = { name: n.name, cni_version: n.cniVersion, plugins: n.plugins.map(p => p.type), file: n.file, subnets, capabilities }
  if (bridge) s.bridge = bridge
  if (n.error) s.error = n.error
  return s
}

/** Subnets of host-local style IPAM: `ranges` (0.3+) or the older single `subnet`. */
function ipamSubnets(ipam: unknown): string[] {
  if (!ipam || typeof ipam !== 'object') return []
  const i = ipam as { subnet?: unknown; ranges?: unknown }
  const out: string[] = []
  if (typeof i.subnet === 'string') out.push(i.subnet)
  if (Array.isArray(i.ranges)) {
    for (const set of i.ranges) {
      for (const r of Array.isArray(set) ? set : []) if (r && typeof r.subnet === 'string') out.push(r.subnet)
    }
  }
  return out
}
