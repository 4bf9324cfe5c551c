// Docker image references, `[REGISTRY[:PORT]/]REPO[:TAG|@DIGEST]`, parsed with Docker's rules (distribution's
// reference grammar): the first path component is a registry host only when it has a '.' or ':' or is `localhost`;
// otherwise the image comes from the default registry (the agent's --docker_registry, Docker Hub unless told), where
// one-component names live under `library/`. Pure: no I/O.

export interface ImageReference {
  /** Canonical registry host[:port]; Docker Hub is always `docker.io` (its API host is registry-1.docker.io). */
  registry: string
  repository: string
  tag?: string
  digest?: string
}

export class ReferenceError extends Error {}

export const DOCKER_HUB = 'docker.io'
export const DEFAULT_REGISTRY_URL = 'https://registry-1.docker.io'
const HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com'])

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/
const TAG = /^[\w][\w.-]{0,127}$/
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/
const HOST = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:.]+\])(?::\d{1,5})?$/

/**
 * The host part of anything naming a registry: `https://index.docker.io/v1/`, `http://10.0.0.5:5000`,
 * `quay.io/` → `docker.io`, `10.0.0.5:5000`, `quay.io`. Docker Hub's many spellings all become `docker.io`.
 */
export function normalizeRegistryHost(value: string): string {
  let v = value.trim().replace(/^[a-z][a-z0-9+.-]*:\/\//i, '')
  v = v.split('/')[0]!.toLowerCase()
  return HUB_ALIASES.has(v) ? DOCKER_HUB : v
}

/** The default registry from --docker_registry (a URL or a bare host); its scheme, if any, is kept apart. */
export function parseDefaultRegistry(flag: string | undefined): { host: string; scheme?: 'http' | 'https' } {
  const v = (flag || DEFAULT_REGISTRY_URL).trim()
  const m = /^(https?):\/\//i.exec(v)
  return { host: normalizeRegistryHost(v), scheme: m ? (m[1]!.toLowerCase() as 'http' | 'https') : undefined }
}

export function parseReference(input: string, defaultRegistry = DOCKER_HUB): ImageReference {
  const ref = input.trim()
  if (!ref) throw new ReferenceError('empty image reference')
  let rest = ref
  let digest: string | undefined
  const at = rest.indexOf('@')
  if (at >= 0) {
    digest = rest.slice(at + 1)
    rest = rest.slice(0, at)
    if (!DIGEST.test(digest)) throw new ReferenceError(`invalid digest '${digest}' in image reference '${ref}'`)
  }
  let tag: string | undefined
  const colon = rest.lastIndexOf(':')
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1)
    rest = rest.slice(0, colon)
    if (!TAG.test(tag)) throw new ReferenceError(`invalid tag '${tag}' in image reference '${ref}'`)
  }
  let registry = normalizeRegistryHost(defaultRegistry)
  const slash = rest.indexOf('/')
  if (slash > 0) {
    const first = rest.slice(0, slash)
    if (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase()) {
      if (!HOST.test(first)) throw new ReferenceError(`invalid registry host '${first}' in image reference '${ref}'`)
      registry = normalizeRegistryHost(first)
      rest = rest.slice(slash + 1)
    }
  }
  if (!rest) throw new ReferenceError(`image reference '${ref}' has no repository`)
  for (const c of rest.split('/')) {
    if (!COMPONENT.test(c)) throw new ReferenceError(`invalid repository name '${rest}' in image reference '${ref}' (lowercase letters, digits and . _ - only)`)
  }
  if (registry === DOCKER_HUB && !rest.includes('/')) rest = `library/${rest}`
  if (!tag && !digest) tag = 'latest'
  return { registry, repository: rest, ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) }
}

/** `registry/repository:tag` or `registry/repository@digest` (with both, the digest is what gets pulled). */
export function formatReference(r: ImageReference): string {
  const base = `${r.registry}/${r.repository}`
  if (r.digest) return r.tag ? `${base}:${r.tag}@${r.digest}` : `${base}@${r.digest}`
  return `${base}:${r.tag ?? 'latest'}`
}

/** What to ask the registry for: the digest when pinned, else the tag. */
export function manifestReference(r: ImageReference): string {
  return r.digest ?? r.tag ?? 'latest'
}

/** The host the HTTP API is served from (Docker Hub's API is not on docker.io). */
export function apiHost(registry: string): string {
  return registry === DOCKER_HUB ? 'registry-1.docker.io' : registry
}

/** Parses `--docker_registry_insecure` (comma separated host[:port]) into canonical hosts. */
export function parseInsecureRegistries(flag: string | undefined): Set<string> {
  return new Set((flag ?? '').split(',').map(s => s.trim()).filter(Boolean).map(normalizeRegistryHost))
}

/**
 * Base URL of a registry's API. Plain HTTP only for hosts the operator listed as insecure (or gave with http:// in
 * --docker_registry); everything else is HTTPS.
 */
export function registryBaseUrl(registry: string, insecure: Set<string>): string {
  return `${insecure.has(registry) ? 'http' : 'https'}://${apiHost(registry)}`
}
