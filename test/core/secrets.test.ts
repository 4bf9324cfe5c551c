// Secrets (docs/security-secrets.md): encryption at rest and tamper detection, the store, TaskInfo redaction,
// resolution and hydration (pure), the secret ACL kinds, and the master's launch path through the harness.

import { describe, expect, test } from 'bun:test'
import { randomBytes } from 'node:crypto'
import { readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseAcls } from '../../src/core/authz/acls.ts'
import { authorized } from '../../src/core/authz/authorizer.ts'
import { decryptSecret, encryptSecret, loadSecretKey, SecretCryptoError } from '../../src/core/secrets/crypto.ts'
import { hydrateSecrets, redactSecrets, resolveSecrets, secretSites, type SecretLookup } from '../../src/core/secrets/task-secrets.ts'
import type { TaskInfo } from '../../src/core/v1/messages.ts'
import { commandEnvironment } from '../../src/agent/executors/executor.ts'
import { receiveSecrets, withSecrets } from '../../src/agent/secret-values.ts'
import { MasterHarness } from '../../src/master/harness.ts'
import { secretLookup, secretPathError, SecretStore } from '../../src/master/secret-store.ts'
import { tempDir } from '../helpers/processes.ts'

const enc = (s: string) => new TextEncoder().encode(s)
const b64 = (s: string) => Buffer.from(s).toString('base64')
const CANARY = `canary-${randomBytes(8).toString('hex')}`

describe('encryption at rest', () => {
  const key = new Uint8Array(randomBytes(32))
  test('round trip; the sealed form does not contain the value', () => {
    const sealed = encryptSecret(key, 'team/db', enc(CANARY))
    expect(sealed.startsWith('v1:')).toBe(true)
    expect(sealed).not.toContain(CANARY)
    expect(Buffer.from(sealed.slice(3), 'base64').toString('latin1')).not.toContain(CANARY)
    expect(new TextDecoder().decode(decryptSecret(key, 'team/db', sealed))).toBe(CANARY)
    // A fresh IV each time: the same value seals differently.
    expect(encryptSecret(key, 'team/db', enc(CANARY))).not.toBe(sealed)
  })
  test('a changed byte, another path (moved record) or another key fails, naming the path and not the value', () => {
    const sealed = encryptSecret(key, 'team/db', enc(CANARY))
    const raw = Buffer.from(sealed.slice(3), 'base64')
    for (const i of [0, 13, raw.length - 1]) {
      const bad = Buffer.from(raw); bad[i]! ^= 1
      expect(() => decryptSecret(key, 'team/db', `v1:${bad.toString('base64')}`)).toThrow(/team\/db.*failed authentication/)
    }
    expect(() => decryptSecret(key, 'team/other', sealed)).toThrow(SecretCryptoError)
    expect(() => decryptSecret(new Uint8Array(randomBytes(32)), 'team/db', sealed)).toThrow(SecretCryptoError)
    expect(() => decryptSecret(key, 'team/db', 'v2:abc')).toThrow(/unknown record format/)
    try { decryptSecret(key, 'team/other', sealed) } catch (err) { expect((err as Error).message).not.toContain(CANARY) }
  })
  test('key files: generated once (0600, 64 hex digits), raw/hex/base64 accepted, anything else refused', () => {
    const dir = tempDir()
    const file = join(dir, 'k', 'secret.key')
    const k1 = loadSecretKey(file, true)
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(readFileSync(file, 'utf8').trim()).toMatch(/^[0-9a-f]{64}$/)
    expect(loadSecretKey(file, true)).toEqual(k1)
    writeFileSync(join(dir, 'b64'), Buffer.from(k1).toString('base64'))
    expect(loadSecretKey(join(dir, 'b64'), false)).toEqual(k1)
    writeFileSync(join(dir, 'raw'), k1)
    expect(loadSecretKey(join(dir, 'raw'), false)).toEqual(k1)
    writeFileSync(join(dir, 'short'), 'abc')
    expect(() => loadSecretKey(join(dir, 'short'), false)).toThrow(/32-byte key/)
    expect(() => loadSecretKey(join(dir, 'missing'), false)).toThrow(/does not exist/)
  })
})

describe('the store', () => {
  test('put/list/get/remove; the file on disk holds no value; a tampered record fails; a key open to others is refused', () => {
    const dir = tempDir()
    const store = SecretStore.open(dir)
    expect(store.put('team/db/password', enc(CANARY), 'ops', 1000)).toBe('created')
    expect(store.put('team/db/password', enc(CANARY + '2'), 'ops', 2000)).toBe('updated')
    expect(store.list()).toEqual([{ path: 'team/db/password', created: 1000, updated: 2000, principal: 'ops' }])
    expect(new TextDecoder().decode(store.get('team/db/password'))).toBe(CANARY + '2')
    expect(store.get('nope')).toBeUndefined()
    store.close()
    for (const f of ['secret-store.db', 'secret-store.db-wal']) {
      try { expect(readFileSync(join(dir, f)).toString('latin1')).not.toContain(CANARY) } catch (err) { if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err }
    }
    expect(statSync(join(dir, 'secret-store.key')).mode & 0o777).toBe(0o600)
    // Swap the sealed value of one path onto another: authentication fails.
    const again = SecretStore.open(dir)
    again.put('team/other', enc('x'), undefined)
    const db = new (require('bun:sqlite').Database)(join(dir, 'secret-store.db'))
    db.run("UPDATE secrets SET sealed = (SELECT sealed FROM secrets WHERE path = 'team/db/password') WHERE path = 'team/other'")
    db.close()
    expect(() => again.get('team/other')).toThrow(/team\/other.*failed authentication/)
    expect(again.remove('team/other')).toBe(true)
    expect(again.remove('team/other')).toBe(false)
    again.close()
    Bun.spawnSync(['chmod', '644', join(dir, 'secret-store.key')])
    expect(() => SecretStore.open(dir)).toThrow(/group or others/)
  })
  test('paths', () => {
    for (const ok of ['a', 'team/db/password', 'a.b-c_d/e']) expect(secretPathError(ok)).toBeUndefined()
    for (const bad of ['', '/a', 'a/', 'a//b', 'a/../b', '..', 'a b', 'a/%', '.hidden', 'x'.repeat(300)]) expect(secretPathError(bad)).toBeDefined()
  })
})

/** A command task with a VALUE env var, a REFERENCE env var and a REFERENCE volume. */
const task = (): TaskInfo => ({
  name: 't', task_id: { value: 't' }, agent_id: { value: 'a' },
  command: { value: 'true', environment: { variables: [
    { name: 'PLAIN', value: 'p' },
    { name: 'INLINE', type: 'SECRET', secret: { type: 'VALUE', value: { data: b64(CANARY) } } },
    { name: 'DB', type: 'SECRET', secret: { type: 'REFERENCE', reference: { name: 'team/db' } } },
  ] } },
  container: { type: 'MESOS', volumes: [{ mode: 'RO', container_path: 'db.pass', source: { type: 'SECRET', secret: { type: 'REFERENCE', reference: { name: 'team', key: 'db' } } } }] },
})

const storeOf = (m: Record<string, string>): SecretLookup => p => (p in m ? { value: enc(m[p]!) } : { error: 'no such secret in the store', reason: 'REASON_TASK_INVALID' })

describe('TaskInfo secrets (pure)', () => {
  test('sites, resolution, redaction and hydration', () => {
    const t = task()
    expect(secretSites(t).map(s => [s.key, s.where])).toEqual([
      ['command.environment.variables[1].secret', "environment variable 'INLINE'"],
      ['command.environment.variables[2].secret', "environment variable 'DB'"],
      ['container.volumes[0].source.secret', "volume at 'db.pass'"],
    ])
    const r = resolveSecrets(t, storeOf({ 'team/db': `${CANARY}-db` }))
    if ('error' in r) throw new Error(r.error)
    expect(JSON.stringify(r.redacted)).not.toContain(b64(CANARY))
    expect(JSON.stringify(r.redacted)).toContain('team/db') // paths stay: they are not secrets
    expect(JSON.stringify(t)).toContain(b64(CANARY)) // the input is not changed
    expect(Object.values(r.values).map(v => Buffer.from(v, 'base64').toString())).toEqual([CANARY, `${CANARY}-db`, `${CANARY}-db`])
    const full = hydrateSecrets(r.redacted, r.values)
    expect(commandEnvironment(full.command!.environment)).toEqual({ PLAIN: 'p', INLINE: CANARY, DB: `${CANARY}-db` })
    expect(full.container!.volumes![0]!.source!.secret).toEqual({ type: 'VALUE', value: { data: b64(`${CANARY}-db`) } })
    expect(redactSecrets(r.redacted)).toEqual(r.redacted)
    const plain: TaskInfo = { name: 'p', task_id: { value: 'p' }, agent_id: { value: 'a' } }
    expect(redactSecrets(plain)).toBe(plain)
  })
  test('refusals name the path and the place, never a value', () => {
    const unknown = resolveSecrets(task(), storeOf({}))
    expect(unknown).toEqual({ error: "secret 'team/db' of environment variable 'DB': no such secret in the store", reason: 'REASON_TASK_INVALID' })
    const denied = resolveSecrets(task(), () => ({ error: 'not authorized', reason: 'REASON_TASK_UNAUTHORIZED' }))
    expect(denied).toMatchObject({ reason: 'REASON_TASK_UNAUTHORIZED' })
    expect(resolveSecrets(task(), undefined)).toMatchObject({ error: expect.stringContaining('no secret store') })
    const odd = { ...task(), health_check: { type: 'COMMAND', command: { value: 'x', environment: { variables: [{ name: 'H', type: 'SECRET', secret: { type: 'VALUE', value: { data: b64(CANARY) } } }] } } } } as TaskInfo
    const e = resolveSecrets(odd, storeOf({ 'team/db': 'v' }))
    expect(e).toMatchObject({ error: expect.stringContaining('is not supported') })
    expect(JSON.stringify(e)).not.toContain(b64(CANARY))
    const noSecret = { ...task(), command: { environment: { variables: [{ name: 'X', type: 'SECRET' as const }] } } }
    expect(resolveSecrets(noSecret, undefined)).toMatchObject({ error: "environment variable 'X' is of type SECRET but has no 'secret'" })
    const both = { ...task(), command: { environment: { variables: [{ name: 'X', type: 'SECRET' as const, secret: { type: 'VALUE' as const, reference: { name: 'a' }, value: { data: '' } } }] } } }
    expect(resolveSecrets(both, undefined)).toMatchObject({ error: expect.stringContaining('type VALUE') })
  })
  test('a TaskInfo without secrets is passed on as it is; one anywhere is still found (the quick check before the walk)', () => {
    const plain = { name: 'p', task_id: { value: 'p' }, agent_id: { value: 'a' }, command: { value: 'x', environment: { variables: [{ name: 'A', value: 'b' }] } },
      resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 1 } }], labels: { labels: [{ key: 'secret', value: 'not one' }] },
      container: { type: 'MESOS', volumes: [{ container_path: 'v', mode: 'RW', source: { type: 'SANDBOX_PATH' } }], docker: { image: 'x' } } } as unknown as TaskInfo
    expect(secretSites(plain)).toEqual([])
    const r = resolveSecrets(plain, undefined)
    if ('error' in r) throw new Error(r.error)
    expect(r.redacted).toBe(plain)
    expect(r.values).toEqual({})
    const secret = { type: 'VALUE', value: { data: b64(CANARY) } }
    // Deep, in arrays, in places meso does not honour, under a `secret` key holding an array, as docker credentials.
    const anywhere: [unknown, string][] = [
      [{ ...plain, check: { command: { command: { environment: { variables: [{ name: 'C', type: 'SECRET', secret }] } } } } }, 'check.command.command.environment.variables[0].secret'],
      [{ ...plain, discovery: { ports: { ports: [{ number: 1 }, { number: 2, labels: { labels: [{ key: 'k', secret }] } }] } } }, 'discovery.ports.ports[1].labels.labels[0].secret'],
      [{ ...plain, x: { secret: [1, { secret }] } }, 'x.secret[1].secret'],
      [{ ...plain, x: { secret: 'text', y: { secret } } }, 'x.y.secret'],
      [{ ...plain, container: { type: 'MESOS', mesos: { image: { type: 'DOCKER', docker: { name: 'i', config: secret } } } } }, 'container.mesos.image.docker.config'],
      [{ ...plain, executor: { executor_id: { value: 'e' }, command: { environment: { variables: [{ name: 'E', type: 'SECRET', secret }] } } } }, 'executor.command.environment.variables[0].secret'],
    ]
    for (const [t, key] of anywhere) {
      expect(secretSites(t).map(s => s.key)).toEqual([key])
      const res = resolveSecrets(t, undefined)
      if ('error' in res) { expect(res.error).toContain('not supported'); continue }
      expect(res.redacted).not.toBe(t)
      expect(JSON.stringify(res.redacted)).not.toContain(b64(CANARY))
    }
  })
  test('the agent keeps the redacted TaskInfo; the values only through withSecrets', () => {
    const r = resolveSecrets(task(), storeOf({ 'team/db': 'v' }))
    if ('error' in r) throw new Error(r.error)
    const kept = receiveSecrets(r.redacted, r.values)
    expect(JSON.stringify(kept)).not.toContain(b64(CANARY))
    expect(commandEnvironment(withSecrets(kept).command!.environment).INLINE).toBe(CANARY)
    // Inline VALUEs from a master that did not redact are stripped from what the agent keeps too.
    const inline = receiveSecrets(task(), undefined)
    expect(JSON.stringify(inline)).not.toContain(b64(CANARY))
    const vars = withSecrets(inline).command?.environment?.variables ?? []
    expect(commandEnvironment({ variables: vars.slice(0, 2) }).INLINE).toBe(CANARY)
    expect(() => commandEnvironment(withSecrets(inline).command!.environment)).toThrow("Environment variable 'DB' references secret 'team/db', which the master did not resolve")
  })
})

describe('secret ACLs', () => {
  const acls = parseAcls(JSON.stringify({
    permissive: false,
    access_secrets: [{ principals: { values: ['web'] }, paths: { values: ['team/%', 'shared'] } }, { principals: { type: 'ANY' }, paths: { type: 'NONE' } }],
    create_secrets: [{ principals: { values: ['ops'] }, paths: { type: 'ANY' } }],
    view_secrets: [{ principals: { values: ['ops', 'dev'] }, paths: { type: 'ANY' } }],
    delete_secrets: [{ principals: { values: ['ops'] }, paths: { values: ['team/%'] } }],
  }))
  const can = (action: 'ACCESS_SECRET' | 'CREATE_SECRET' | 'VIEW_SECRET' | 'DELETE_SECRET', who: string | undefined, path: string) =>
    authorized(acls, { action, subject: who === undefined ? undefined : { value: who }, object: { value: path } })
  test('decisions', () => {
    expect(can('ACCESS_SECRET', 'web', 'team/db')).toBe(true)
    expect(can('ACCESS_SECRET', 'web', 'team/db/password')).toBe(true)
    expect(can('ACCESS_SECRET', 'web', 'team')).toBe(false) // `team/%` is strictly below team
    expect(can('ACCESS_SECRET', 'web', 'shared')).toBe(true)
    expect(can('ACCESS_SECRET', 'web', 'other')).toBe(false)
    expect(can('ACCESS_SECRET', 'batch', 'team/db')).toBe(false)
    expect(can('ACCESS_SECRET', undefined, 'team/db')).toBe(false)
    expect(can('CREATE_SECRET', 'ops', 'anything')).toBe(true)
    expect(can('CREATE_SECRET', 'dev', 'anything')).toBe(false)
    expect(can('VIEW_SECRET', 'dev', 'x')).toBe(true)
    expect(can('DELETE_SECRET', 'ops', 'team/x')).toBe(true)
    expect(can('DELETE_SECRET', 'ops', 'other')).toBe(false)
    // No ACLs: permissive, as every other kind.
    expect(authorized(parseAcls('{}'), { action: 'ACCESS_SECRET', object: { value: 'x' } })).toBe(true)
  })
  test('parsing: the object field is `paths`', () => {
    expect(() => parseAcls('{"access_secrets":[{"principals":{"type":"ANY"},"roles":{"type":"ANY"}}]}')).toThrow(/expected 'principals' and 'paths'/)
    expect(() => parseAcls('{"access_secret":[]}')).toThrow(/did you mean 'access_secrets'/)
  })
  test('the launch lookup checks access before existence', () => {
    const store = SecretStore.open(undefined)
    store.put('team/db', enc(CANARY), undefined)
    const web = secretLookup(store, acls, { user: 'u', name: 'f', principal: 'web' })
    expect('value' in web('team/db')).toBe(true)
    expect(web('team/none')).toEqual({ error: 'no such secret in the store', reason: 'REASON_TASK_INVALID' })
    expect(secretLookup(store, acls, { user: 'u', name: 'f', principal: 'batch' })('team/none')).toMatchObject({ reason: 'REASON_TASK_UNAUTHORIZED', error: expect.stringContaining("principal 'batch'") })
  })
})

describe('the master launch path (harness)', () => {
  function setup() {
    const h = new MasterHarness()
    const { agent } = h.registerAgent('cpus:4;mem:4096')
    const { framework: fw } = h.subscribe({ failover_timeout: 60 })
    h.allocate()
    return { h, agent, fw, offer: h.offersFor(fw)[0]! }
  }
  test('the Task, its operator event and state hold no value; RUN_TASK carries them beside the redacted TaskInfo', () => {
    const { h, agent, fw, offer } = setup()
    const store = SecretStore.open(undefined)
    store.put('team/db', enc(`${CANARY}-db`), undefined)
    const lookup = secretLookup(store, parseAcls('{}'), fw.info)
    const t = task()
    t.container!.volumes![0]!.source!.secret = { type: 'REFERENCE', reference: { name: 'team/db' } }
    t.agent_id = offer.agent_id
    t.resources = [{ name: 'cpus', type: 'SCALAR', scalar: { value: 0.1 } }]
    h.master.accept(fw, [offer.id.value], [{ type: 'LAUNCH', launch: { task_infos: [t] } }], 0, undefined, lookup)
    const [run] = h.messagesTo(agent, 'RUN_TASK')
    if (run?.type !== 'RUN_TASK') throw new Error('no RUN_TASK')
    expect(JSON.stringify(run.task)).not.toContain(b64(CANARY))
    expect(Object.keys(run.secrets ?? {})).toHaveLength(3)
    const everything = JSON.stringify({ tasks: [...fw.tasks.values()], effects: h.effects.filter(e => e.type !== 'toAgent') })
    expect(everything).not.toContain(b64(CANARY))
    expect(everything).not.toContain(CANARY)
  })
  test('an unknown reference or one without a store is TASK_ERROR naming the path', () => {
    const { h, fw, offer } = setup()
    const t = task()
    t.agent_id = offer.agent_id
    t.resources = [{ name: 'cpus', type: 'SCALAR', scalar: { value: 0.1 } }]
    h.master.accept(fw, [offer.id.value], [{ type: 'LAUNCH', launch: { task_infos: [t] } }], 0, undefined, storeOf({}))
    const [u] = h.updatesTo(fw, 't')
    expect(u).toMatchObject({ state: 'TASK_ERROR', reason: 'REASON_TASK_INVALID', message: "Task t: secret 'team/db' of environment variable 'DB': no such secret in the store" })
    expect(fw.tasks.size).toBe(0)
  })
})

describe('flags', () => {
  test('passwords in URLs are hidden in /flags and GET_FLAGS; the secret key file shows as a path', async () => {
    const { flagStrings, redactUrlPasswords } = await import('../../src/core/flags.ts')
    const { MASTER_FLAGS } = await import('../../src/master/flags.ts')
    expect(redactUrlPasswords('zk://meso:hunter2@h1:2181,h2:2181/mesos')).toBe('zk://meso:***@h1:2181,h2:2181/mesos')
    expect(redactUrlPasswords('zk://h1:2181/mesos')).toBe('zk://h1:2181/mesos')
    const shown = flagStrings(MASTER_FLAGS, { zk: 'zk://meso:hunter2@h1:2181/mesos', secret_key_file: '/etc/meso/secret.key' })
    expect(JSON.stringify(shown)).not.toContain('hunter2')
    expect(shown).toContainEqual({ name: 'secret_key_file', value: '/etc/meso/secret.key' })
    expect(flagStrings(MASTER_FLAGS, { secret_key_file: 'aGVsbG8=' })).toContainEqual({ name: 'secret_key_file', value: 'REDACTED' })
  })
})
