// Registry credentials from a Docker `config.json` (`{"auths": {"<registry>": {"auth": base64("user:pass")}}}`),
// the format of Mesos' Image.Docker.config secret and --docker_config. Keys may be bare hosts, URLs, or Docker Hub's
// legacy `https://index.docker.io/v1/`; all are matched by canonical host. Pure: no I/O, and nothing here ever
// formats a secret into a message.

import { normalizeRegistryHost } from './reference.ts'

export interface RegistryCredentials { username: string; password: string }

export class DockerConfigError extends Error {}

/** Parses config.json text into canonical host → credentials. Entries without usable credentials are skipped. */
export function parseDockerConfig(text: string, origin = 'docker config'): Map<string, RegistryCredentials> {
  let parsed: any
  try { parsed = JSON.parse(text) } catch (err) {
    throw new DockerConfigError(`${origin} is not valid JSON (${(err as SyntaxError).message.replace(/".*"/, '…')})`)
  }
  if (!parsed || typeof parsed !== 'object') throw new DockerConfigError(`${origin} must be a JSON object`)
  const auths = parsed.auths ?? {}
  if (typeof auths !== 'object') throw new DockerConfigError(`${origin}: 'auths' must be an object`)
  const out = new Map<string, RegistryCredentials>()
  for (const [key, entry] of Object.entries<any>(auths)) {
    const creds = entryCredentials(entry)
    if (creds) out.set(normalizeRegistryHost(key), creds)
  }
  return out
}

function entryCredentials(entry: any): RegistryCredentials | undefined {
  if (!entry || typeof entry !== 'object') return undefined
  if (typeof entry.auth === 'string' && entry.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8')
    const i = decoded.indexOf(':')
    // The password may itself contain ':'; only the first one separates.
    if (i > 0) return { username: decoded.slice(0, i), password: decoded.slice(i + 1) }
  }
  if (typeof entry.username === 'string' && entry.username) return { username: entry.username, password: String(entry.password ?? '') }
  return undefined
}

/** The first source that has credentials for `registry` wins (task's own config before the agent's). */
export function credentialsFor(registry: string, ...sources: (Map<string, RegistryCredentials> | undefined)[]): RegistryCredentials | undefined {
  const host = normalizeRegistryHost(registry)
  for (const s of sources) {
    const c = s?.get(host)
    if (c) return c
  }
  return undefined
}

/** A config.json holding one registry's credentials (what `meso task run --registry-user` sends). */
export function dockerConfigFor(registry: string, creds: RegistryCredentials): string {
  const auth = Buffer.from(`${creds.username}:${creds.password}`).toString('base64')
  return JSON.stringify({ auths: { [normalizeRegistryHost(registry)]: { auth } } })
}
