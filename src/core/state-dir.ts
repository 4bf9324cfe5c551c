// Where meso keeps its state when no --work_dir says otherwise: /var/lib/meso as root, ~/.meso for anyone else.
// `meso up` puts master/, agent/ and secrets/ under it; the CLI's config.toml and clusters/ live in ~/.meso.

import { homedir } from 'node:os'
import { join } from 'node:path'

export function mesoStateDir(): string {
  return process.getuid?.() === 0 ? '/var/lib/meso' : join(homedir(), '.meso')
}

/** The CLI's config file: MESO_CONFIG, else ~/.meso/config.toml. */
export function cliConfigPath(): string {
  return process.env.MESO_CONFIG ?? join(homedir(), '.meso', 'config.toml')
}
