// What `meso --version` and the help's VERSION line say. oclif writes node-v<version> there, which under Bun is the
// Node version Bun imitates; the binary runs on Bun, so it says which.

export function mesoUserAgent(config: { name: string; version: string }): string {
  return `${config.name}/${config.version} ${process.platform}-${process.arch} bun-${Bun.version}`
}

/**
 * Makes every oclif Config say so. Patched on the class because oclif's run() re-creates the Config it is given
 * (Config.load of a Config builds a new one), so setting the property on ours would not last.
 */
export function useMesoUserAgent(Config: { prototype: { load(): Promise<void> } }) {
  const load = Config.prototype.load
  Config.prototype.load = async function (this: { name: string; version: string; userAgent: string }) {
    await load.call(this)
    this.userAgent = mesoUserAgent(this)
  }
}
