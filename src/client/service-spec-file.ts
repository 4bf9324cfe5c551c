// What `meso service deploy FILE` reads: one Marathon app definition, a list of them, or a Marathon group
// (`{"id": "/prod", "apps": [...], "groups": [...]}`, app ids relative to the group's), in JSON or YAML. Pure: text
// in, app definitions with absolute ids out; the server validates the definitions themselves.

import { absoluteAppId, type AppDefinition } from './services.ts'

/** At most this many apps in one file. */
export const MAX_APPS_PER_FILE = 1000

export class ServiceFileError extends Error {}

type Json = Record<string, unknown>

const isObject = (v: unknown): v is Json => !!v && typeof v === 'object' && !Array.isArray(v)

/** A group, not an app: it holds `apps` or `groups` and nothing an app runs. */
const isGroup = (v: Json) => (Array.isArray(v.apps) || Array.isArray(v.groups)) && !('cmd' in v || 'args' in v || 'container' in v)

/** Marathon resolves a relative id against its group's (`web` in `/prod` is `/prod/web`, `../x` climbs). */
export function resolveAppId(id: string, base: string): string {
  if (id.startsWith('/')) return absoluteAppId(id)
  const parts = base.split('/').filter(Boolean)
  for (const seg of id.split('/').filter(Boolean)) {
    if (seg === '..') parts.pop()
    else if (seg !== '.') parts.push(seg)
  }
  return `/${parts.join('/')}`
}

/** The app definitions in `text` (read from `source`, for messages), ids made absolute, in file order. */
export function parseServiceSpecs(text: string, source: string): AppDefinition[] {
  if (!text.trim()) throw new ServiceFileError(`${source} is empty; expected a Marathon app definition in JSON or YAML`)
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (jsonErr) {
    try { value = Bun.YAML.parse(text) } catch (yamlErr) {
      if (/^\s*[[{]/.test(text)) throw new ServiceFileError(`${source} is not valid JSON: ${(jsonErr as Error).message}`)
      throw new ServiceFileError(`${source} is not valid YAML: ${(yamlErr as Error).message}`)
    }
  }
  const apps: AppDefinition[] = []
  const add = (item: unknown, where: string, base: string, depth: number) => {
    if (!isObject(item)) throw new ServiceFileError(`${where} is not an app definition (an object with "id")`)
    if (isGroup(item)) {
      if (depth > 16) throw new ServiceFileError(`${where}: groups nest deeper than 16 levels`)
      const gid = typeof item.id === 'string' && item.id ? resolveAppId(item.id, base) : base
      const extra = Object.keys(item).filter(k => !['id', 'apps', 'groups'].includes(k))
      if (extra.length) throw new ServiceFileError(`group '${gid}' in ${source}: ${extra.map(k => `"${k}"`).join(', ')} cannot be deployed app by app; move it into the apps`)
      ;(Array.isArray(item.apps) ? item.apps : []).forEach((a, i) => add(a, `app #${i + 1} of group '${gid}' in ${source}`, gid, depth + 1))
      ;(Array.isArray(item.groups) ? item.groups : []).forEach((g, i) => add(g, `group #${i + 1} of group '${gid}' in ${source}`, gid, depth + 1))
      return
    }
    if (typeof item.id !== 'string' || !item.id.trim()) throw new ServiceFileError(`${where} has no "id"`)
    const id = resolveAppId(item.id, base)
    const deps = item.dependencies
    if (deps !== undefined && !(Array.isArray(deps) && deps.every(d => typeof d === 'string'))) throw new ServiceFileError(`app '${id}' in ${source}: "dependencies" must be a list of app ids`)
    apps.push({ ...item, id, ...(Array.isArray(deps) ? { dependencies: deps.map(d => resolveAppId(d, base)) } : {}) } as AppDefinition)
    if (apps.length > MAX_APPS_PER_FILE) throw new ServiceFileError(`${source} holds more than ${MAX_APPS_PER_FILE} apps`)
  }
  if (Array.isArray(value)) {
    if (!value.length) throw new ServiceFileError(`${source} holds no app definition`)
    value.forEach((item, i) => add(item, `app #${i + 1} of ${source}`, '/', 0))
  } else {
    add(value, source, '/', 0)
  }
  if (!apps.length) throw new ServiceFileError(`${source} holds no app definition`)
  const seen = new Set<string>()
  for (const a of apps) {
    if (seen.has(a.id)) throw new ServiceFileError(`${source} defines app '${a.id}' twice`)
    seen.add(a.id)
  }
  return apps
}
