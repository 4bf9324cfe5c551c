// oclif's Config for meso. oclif normally discovers commands on disk; inside a compiled binary there is no file tree,
// so the root plugin is built by hand and its command cache filled from the explicit map (index.ts). Used by
// src/main.ts and by scripts/gen-cli-manifest.ts, which renders the help the fast path prints.

import { Config, Plugin, type Interfaces } from '@oclif/core'
import pjson from '../../package.json' with { type: 'json' }
import { useMesoUserAgent } from '../cli/user-agent.ts'
import { COMMANDS } from './index.ts'

// A JSON import types `strategy: "explicit"` as a plain string; it is one of the strategies PJSON names.
const manifest = pjson as Interfaces.PJSON

export async function loadOclifConfig(root: string): Promise<Config> {
  useMesoUserAgent(Config)
  const plugin = new Plugin({ root, pjson: manifest, isRoot: true, ignoreManifest: true })
  // Not part of oclif's typed API: the cache plugin.load() would otherwise fill by scanning `root`.
  Object.assign(plugin, { commandCache: COMMANDS })
  await plugin.load()
  return Config.load({ root, pjson: manifest, plugins: new Map([[plugin.name, plugin]]) })
}
