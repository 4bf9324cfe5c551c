// Secrets inside TaskInfo / ExecutorInfo (mesos.proto `Secret`: REFERENCE names a secret in a store, VALUE carries
// it inline): where they are, how the master resolves and redacts them, how the agent puts the values back for the
// moment of launch. Pure: the store lookup is passed in. docs/security-secrets.md.
//
// The master never keeps a value: the Task and ExecutorInfo it stores, shows and sends to the agent are redacted
// (VALUE data emptied, REFERENCE kept: a path is not a secret). The values travel beside them, in the RUN_TASK
// message's `secrets` (src/core/agent-protocol.ts), keyed by where each Secret sits in the TaskInfo
// (`command.environment.variables[0].secret`), and the agent joins them only in memory, for the launch. Upstream
// resolves REFERENCE secrets on the agent (src/slave/containerizer/mesos/isolators/environment_secret.cpp,
// volume/secret.cpp through src/secret/resolver.cpp); meso's store is in the master, so the master resolves them.

import type { Secret } from '../v1/messages.ts'

/** Where a Secret sits, and what meso does with it there. */
export interface SecretSite {
  /** Its location in the object, e.g. `container.volumes[1].source.secret`: the key of its value on the wire. */
  key: string
  secret: Secret
  /** Human words for messages: `environment variable 'DB'`, `volume at 'db.pass'`. */
  where: string
  /** Whether meso's agent honours a secret there (else the launch is refused; nothing is silently dropped). */
  supported: boolean
}

/** Secret values by SecretSite.key: base64 of the bytes, as Secret.Value.data is in JSON. */
export type SecretValues = Record<string, string>

const ENV_RE = /^(executor\.)?command\.environment\.variables\[(\d+)\]\.secret$/
const VOLUME_RE = /^(executor\.)?container\.volumes\[(\d+)\]\.source\.secret$/
const IMAGE_RE = /\.image\.docker\.config$|^(executor\.)?container\.mesos\.image\.docker\.config$/

type Json = Record<string, unknown>
const isObj = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v)

/** A node that is a Secret: under a `secret` key, or an Image.Docker `config`. */
function isSecretSlot(key: string, parentKey: string | undefined): boolean {
  return key === 'secret' || (key === 'config' && parentKey === 'docker')
}

/** Calls `fn` for every Secret in `root` (TaskInfo or ExecutorInfo), with its key; `fn` may replace it. */
function walk(root: unknown, fn: (key: string, secret: Secret, holder: Json, prop: string) => void) {
  const visit = (node: unknown, path: string, parentKey: string | undefined) => {
    if (Array.isArray(node)) { node.forEach((v, i) => visit(v, `${path}[${i}]`, parentKey)); return }
    if (!isObj(node)) return
    for (const [k, v] of Object.entries(node)) {
      const p = path ? `${path}.${k}` : k
      if (isSecretSlot(k, parentKey) && isObj(v)) fn(p, v as Secret, node, k)
      else visit(v, p, k)
    }
  }
  visit(root, '', undefined)
}

/**
 * Whether `walk` would find any Secret in `root`: the same nodes, in the same order, but no path strings and no
 * entry arrays. Every launch asks this and almost no task has a secret (the last placement profile charged ~8 µs a
 * task to building the paths of a TaskInfo with none), so the full walk runs only when this says yes. It looks
 * everywhere `walk` does, not only where secrets are honoured: a secret in an unsupported place must still be found
 * (and refused), never passed on in clear.
 */
function hasSecretSlot(node: unknown, parentKey: string | undefined): boolean {
  if (node === null || typeof node !== 'object') return false
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) if (hasSecretSlot(node[i], parentKey)) return true
    return false
  }
  for (const k in node) {
    if (!Object.hasOwn(node, k)) continue
    const v = (node as Json)[k]
    if (isSecretSlot(k, parentKey) ? isObj(v) || hasSecretSlot(v, k) : hasSecretSlot(v, k)) return true
  }
  return false
}

function describe(root: unknown, key: string): { where: string; supported: boolean } {
  const env = ENV_RE.exec(key)
  if (env) {
    const vars = (lookup(root, key.replace(/\.secret$/, '').replace(/\[\d+\]$/, '')) ?? []) as { name?: string }[]
    const name = vars[Number(env[2])]?.name ?? '?'
    return { where: `${env[1] ? "executor's " : ''}environment variable '${name}'`, supported: true }
  }
  const vol = VOLUME_RE.exec(key)
  if (vol) {
    const vols = (lookup(root, key.replace(/\.source\.secret$/, '').replace(/\[\d+\]$/, '')) ?? []) as { container_path?: string }[]
    return { where: `${vol[1] ? "executor's " : ''}volume at '${vols[Number(vol[2])]?.container_path ?? '?'}'`, supported: true }
  }
  if (IMAGE_RE.test(key)) return { where: `image credentials (${key})`, supported: true }
  return { where: key, supported: false }
}

/** The value at a dotted path with [i] indices (only what `walk` produces). */
function lookup(root: unknown, path: string): unknown {
  let node: unknown = root
  for (const part of path.split(/\.|(?=\[)/)) {
    if (node === undefined || node === null) return undefined
    const idx = /^\[(\d+)\]$/.exec(part)
    node = idx ? (node as unknown[])[Number(idx[1])] : (node as Json)[part]
  }
  return node
}

/** Every Secret in a TaskInfo or ExecutorInfo. */
export function secretSites(root: unknown): SecretSite[] {
  const out: SecretSite[] = []
  if (!hasSecretSlot(root, undefined)) return out
  walk(root, (key, secret) => out.push({ key, secret, ...describe(root, key) }))
  return out
}

/** The store path a REFERENCE names: `name`, or `name/key` when it picks a key (docs/security-secrets.md). */
export function referencePath(secret: Secret): string | undefined {
  const ref = secret.reference
  if (!ref?.name) return undefined
  return ref.key ? `${ref.name.replace(/\/+$/, '')}/${ref.key}` : ref.name
}

/** Secret.type, or what its fields imply when it was left out (validated as upstream common::validation::validateSecret). */
function secretError(s: SecretSite): string | undefined {
  const { secret } = s
  const type = secret.type && secret.type !== 'UNKNOWN' ? secret.type : secret.reference ? 'REFERENCE' : secret.value ? 'VALUE' : undefined
  if (type === undefined) return `the secret of ${s.where} has neither a reference nor a value`
  if (type === 'REFERENCE' && (!secret.reference?.name || secret.value)) return `the secret of ${s.where} is of type REFERENCE: it needs 'reference.name' and no 'value'`
  if (type === 'VALUE' && (!secret.value || typeof secret.value.data !== 'string' || secret.reference)) return `the secret of ${s.where} is of type VALUE: it needs 'value.data' and no 'reference'`
  return undefined
}

/** Checks the TaskInfo's secret-typed fields hold Secrets at all (a SECRET variable or volume without one). */
function missingSecrets(root: unknown, prefix = ''): string | undefined {
  const r = root as { command?: { environment?: { variables?: { name?: string; type?: string; secret?: unknown }[] } }; container?: { volumes?: { container_path?: string; source?: { type?: string; secret?: unknown } }[] }; executor?: unknown }
  for (const v of r.command?.environment?.variables ?? []) if (v.type === 'SECRET' && !isObj(v.secret)) return `${prefix}environment variable '${v.name}' is of type SECRET but has no 'secret'`
  for (const v of r.container?.volumes ?? []) if (v.source?.type === 'SECRET' && !isObj(v.source.secret)) return `${prefix}volume at '${v.container_path}' is of type SECRET but has no 'secret'`
  return r.executor ? missingSecrets(r.executor, "executor's ") : undefined
}

/** What a store says about one path: the bytes, or why not (unknown path, access denied) and the TaskStatus reason. */
export type SecretLookup = (path: string) => { value: Uint8Array } | SecretRefusal

export type SecretRefusal = { error: string; reason: 'REASON_TASK_INVALID' | 'REASON_TASK_UNAUTHORIZED' }

/**
 * Resolves every Secret of `root`: VALUE data as it is, REFERENCE through `lookup` (none: the master has no store,
 * so a reference fails). Returns the redacted copy and the values, or the first error: it names the path and the
 * place, never a value.
 */
export function resolveSecrets<R>(root: R, lookup: SecretLookup | undefined): { redacted: R; values: SecretValues } | SecretRefusal {
  const missing = missingSecrets(root)
  if (missing) return { error: missing, reason: 'REASON_TASK_INVALID' }
  const values: SecretValues = {}
  // Walked once: a task without secrets (the launch hot path's usual case) is passed on as it is.
  const sites = secretSites(root)
  if (!sites.length) return { redacted: root, values }
  for (const site of sites) {
    if (!site.supported) return { error: `a secret at ${site.where} is not supported: meso honours secrets in command environments, SECRET volumes and image credentials`, reason: 'REASON_TASK_INVALID' }
    const bad = secretError(site)
    if (bad) return { error: bad, reason: 'REASON_TASK_INVALID' }
    if (site.secret.value) { values[site.key] = site.secret.value.data; continue }
    const path = referencePath(site.secret)!
    if (!lookup) return { error: `secret '${path}' of ${site.where}: this master has no secret store`, reason: 'REASON_TASK_INVALID' }
    const found = lookup(path)
    if ('error' in found) return { error: `secret '${path}' of ${site.where}: ${found.error}`, reason: found.reason }
    values[site.key] = Buffer.from(found.value).toString('base64')
  }
  return { redacted: redactSecrets(root), values }
}

/** A copy of `root` with every VALUE secret's data emptied (REFERENCEs stay: paths are not secrets). */
export function redactSecrets<R>(root: R): R {
  if (!secretSites(root).length) return root
  const copy = structuredClone(root)
  walk(copy, (_key, secret) => { if (secret.value) secret.value = { data: '' } })
  return copy
}

/** Whether `root` carries any secret value in clear (for checks before something is stored or shown). */
export function hasSecretValues(root: unknown): boolean {
  return secretSites(root).some(s => !!s.secret.value?.data)
}

/**
 * A copy of `root` with the values put back as VALUE secrets, for the launch only (the agent never stores it).
 * A site without a value is left as it is; the isolator or environment code then says it cannot resolve it.
 */
export function hydrateSecrets<R>(root: R, values: SecretValues | undefined): R {
  if (!values || !Object.keys(values).length) return root
  const copy = structuredClone(root)
  walk(copy, (key, _secret, holder, prop) => {
    const data = values[key]
    if (data !== undefined) holder[prop] = { type: 'VALUE', value: { data } } satisfies Secret
  })
  return copy
}
