// Quota with real processes: a master, two agents and two raw-scheduler frameworks in different roles. The operator
// sets a guarantee for `batch` and a limit for `web` (UPDATE_QUOTA); `web` subscribes first and is hungry, yet its
// offers stop at its limit and leave `batch`'s guarantee alone; `batch` then gets its guarantee. GET_QUOTA, v0
// `/quota` and `/roles` show upstream's shapes, bad requests get upstream's errors, the CLI sets, lists and removes
// quotas, and a restarted master still has them.

import { afterAll, expect, test } from 'bun:test'
import { RawScheduler } from '../helpers/raw-scheduler.ts'
import { meso, startAgent, startMaster, tempDir, waitFor, type Daemon } from '../helpers/processes.ts'

const dir = tempDir()
const daemons: Daemon[] = []
const schedulers: RawScheduler[] = []
afterAll(async () => {
  for (const s of schedulers) s.close()
  for (const d of daemons) await d.kill('SIGKILL').catch(() => {})
})

const operator = (url: string, body: unknown) =>
  fetch(`${url}/api/v1`, { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: JSON.stringify(body) })

const scalar = (name: string, value: number) => ({ name, type: 'SCALAR', scalar: { value } })
const cpusOf = (offer: any) => offer.resources.filter((r: any) => r.name === 'cpus').reduce((n: number, r: any) => n + r.scalar.value, 0)

/** Offers a scheduler got and still holds (not rescinded), and their cpus. */
function held(s: RawScheduler): { ids: Set<string>; cpus: number } {
  const rescinded = new Set(s.events.filter(e => e.type === 'RESCIND').map(e => e.rescind.offer_id.value))
  const offers = s.events.filter(e => e.type === 'OFFERS').flatMap(e => e.offers.offers).filter((o: any) => !rescinded.has(o.id.value))
  return { ids: new Set(offers.map((o: any) => o.id.value)), cpus: Math.round(offers.reduce((n: number, o: any) => n + cpusOf(o), 0) * 1000) / 1000 }
}

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms))

test('guarantees and limits under two competing frameworks, through the operator API, v0 /quota and the CLI', async () => {
  let master = await startMaster(`${dir}/master`, ['--allocation_interval=100ms'])
  daemons.push(master)
  const port = new URL(master.url).port
  for (const name of ['a1', 'a2']) {
    daemons.push(await startAgent(master.url, `${dir}/${name}`, ['--resources=cpus:2;mem:1024;disk:256', '--registration_backoff_factor=100ms']))
  }
  await waitFor('two agents', async () => ((await (await fetch(`${master.url}/master/slaves`)).json()) as any).slaves.length === 2)

  // Nothing set yet.
  let r = await operator(master.url, { type: 'GET_QUOTA' })
  expect(r.status).toBe(200)
  expect(await r.json()).toEqual({ type: 'GET_QUOTA', get_quota: { status: {} } })

  // Bad requests, in upstream's words.
  const bad = async (body: unknown, status: number, message: string) => {
    const res = await operator(master.url, body)
    expect(await res.text()).toBe(message)
    expect(res.status).toBe(status)
  }
  await bad({ type: 'UPDATE_QUOTA', update_quota: { quota_configs: [{ role: 'batch', guarantees: { cpus: { value: 2 } }, limits: { cpus: { value: 1 } } }] } }, 400,
    "Invalid QuotaConfig: 'QuotaConfig.guarantees' { cpus: 2 } is not contained within the 'QuotaConfig.limits' { cpus: 1 }")
  await bad({ type: 'UPDATE_QUOTA', update_quota: { quota_configs: [{ role: 'batch', guarantees: { cpus: { value: 5 } } }] } }, 400,
    "Invalid QuotaConfig: total quota guarantees 'cpus:5' exceed cluster capacity 'cpus:4; disk:512; mem:2048' (use 'force' flag to bypass this check)")
  await bad({ type: 'SET_QUOTA', set_quota: { quota_request: { role: 'batch', guarantee: [scalar('cpus', 5)] } } }, 409,
    "Quota guarantees overcommit the cluster (use 'force' to bypass this check): Total quota guarantees 'cpus:5' exceed cluster capacity 'cpus:4; disk:512; mem:2048'")
  await bad({ type: 'SET_QUOTA', set_quota: { quota_request: { role: 'batch', guarantee: [] } } }, 400,
    "Failed to validate set quota request: QuotaInfo with empty 'guarantee'")
  await bad({ type: 'UPDATE_QUOTA', update_quota: { quota_configs: [{ role: 'batch/nightly' }] } }, 400, "Updating quota on nested role 'batch/nightly' is not supported yet")
  await bad({ type: 'REMOVE_QUOTA', remove_quota: { role: 'batch' } }, 400, "Failed to remove quota: Role 'batch' has no quota set")
  let v0 = await fetch(`${master.url}/master/quota/batch`, { method: 'DELETE' })
  expect(v0.status).toBe(400)
  expect(await v0.text()).toBe("Failed to remove quota for path '/master/quota/batch': Role 'batch' has no quota set")
  v0 = await fetch(`${master.url}/quota`, { method: 'POST', body: '{"role": ' })
  expect(v0.status).toBe(400)
  expect(await v0.text()).toStartWith(`Failed to parse set quota request JSON '{"role": '`)

  // batch: a guarantee of 2 cpus and 512 MB; web: at most 1.5 cpus.
  r = await operator(master.url, { type: 'UPDATE_QUOTA', update_quota: { quota_configs: [
    { role: 'batch', guarantees: { cpus: { value: 2 }, mem: { value: 512 } } },
    { role: 'web', limits: { cpus: { value: 1.5 } } },
  ] } })
  expect(r.status).toBe(200)
  r = await operator(master.url, { type: 'GET_QUOTA' })
  expect(await r.json()).toEqual({ type: 'GET_QUOTA', get_quota: { status: {
    infos: [{ role: 'batch', guarantee: [scalar('cpus', 2), scalar('mem', 512)] }, { role: 'web' }],
    configs: [{ role: 'batch', guarantees: { cpus: { value: 2 }, mem: { value: 512 } } }, { role: 'web', limits: { cpus: { value: 1.5 } } }],
  } } })

  // web comes first and keeps every offer: they stop at its limit, cycle after cycle.
  const web = new RawScheduler(master.url)
  schedulers.push(web)
  await web.subscribe({ user: 'root', name: 'web', roles: ['web'], capabilities: [{ type: 'MULTI_ROLE' }] })
  await waitFor('web offered its limit', () => held(web).cpus === 1.5)
  await sleep(1000) // ten allocation intervals
  expect(held(web).cpus).toBe(1.5)

  // batch arrives while web still holds its offers and gets its guarantee.
  const batch = new RawScheduler(master.url)
  schedulers.push(batch)
  await batch.subscribe({ user: 'root', name: 'batch', roles: ['batch'], capabilities: [{ type: 'MULTI_ROLE' }] })
  await waitFor('batch offered its guarantee', () => held(batch).cpus >= 2)
  const batchMem = batch.events.filter(e => e.type === 'OFFERS').flatMap(e => e.offers.offers)
    .reduce((n: number, o: any) => n + o.resources.filter((x: any) => x.name === 'mem').reduce((m: number, x: any) => m + x.scalar.value, 0), 0)
  expect(batchMem).toBeGreaterThanOrEqual(512)
  expect(held(web).cpus).toBe(1.5)

  // web runs a task on its offer: consumption (v0 /roles) stays within the limit, and no further offers come.
  const offer = web.events.find(e => e.type === 'OFFERS')!.offers.offers[0]
  r = await web.call('ACCEPT', { accept: { offer_ids: [offer.id], filters: { refuse_seconds: 0 }, operations: [{ type: 'LAUNCH', launch: { task_infos: [{
    name: 'w', task_id: { value: 'w' }, agent_id: offer.agent_id, command: { value: 'sleep 60' }, resources: [scalar('cpus', 0.5), scalar('mem', 32)],
  }] } }] } })
  expect(r.status).toBe(202)
  await web.next(e => e.type === 'UPDATE' && e.update.status.task_id.value === 'w' && e.update.status.state === 'TASK_RUNNING', 30_000)
  await sleep(500)
  const roles = (await (await fetch(`${master.url}/master/roles`)).json()) as any
  const webRole = roles.roles.find((x: any) => x.name === 'web')
  expect(webRole.quota).toMatchObject({ role: 'web', guarantee: {}, limit: { cpus: 1.5 } })
  expect(webRole.quota.consumed.cpus).toBe(0.5)
  expect(roles.roles.find((x: any) => x.name === 'batch').quota.guarantee).toEqual({ cpus: 2, mem: 512 })
  const webOffered = held(web).cpus - cpusOf(offer)
  expect(webRole.quota.consumed.cpus + webOffered).toBeLessThanOrEqual(1.5)

  // v0 /quota shows the same status as GET_QUOTA.
  const status = (await (await fetch(`${master.url}/quota`)).json()) as any
  expect(status.configs.map((c: any) => c.role)).toEqual(['batch', 'web'])

  // The CLI: list, set, remove.
  const env = { MESO_MASTER: master.url }
  let cli = await meso(['quota', 'list', '--json'], { env })
  expect(cli.code).toBe(0)
  const listed = JSON.parse(cli.stdout)
  expect(listed.find((q: any) => q.role === 'web')).toMatchObject({ limits: { cpus: { value: 1.5 } }, consumed: { cpus: { value: 0.5 } } })
  cli = await meso(['quota', 'set', 'ops', '--cpus', '0.5', '--limit-cpus', '1'], { env })
  expect(cli.stderr).toBe('')
  expect(cli.code).toBe(0)
  cli = await meso(['quota', 'set', 'ops', '--cpus', '9'], { env })
  expect(cli.code).toBe(1)
  expect(cli.stderr).toContain('exceed cluster capacity')
  cli = await meso(['quota', 'list'], { env })
  expect(cli.stdout).toMatch(/ops\s+cpus=0.5\s+cpus=1/)
  cli = await meso(['quota', 'rm', 'ops'], { env })
  expect(cli.code).toBe(0)

  // A restarted master recovers the quotas before it allocates.
  await master.kill('SIGKILL')
  master = await startMaster(`${dir}/master`, [`--port=${port}`, '--allocation_interval=100ms'])
  daemons.push(master)
  r = await operator(master.url, { type: 'GET_QUOTA' })
  expect(((await r.json()) as any).get_quota.status.configs.map((c: any) => c.role)).toEqual(['batch', 'web'])

  // Removing web's limit over v0 DELETE lets it have the rest.
  v0 = await fetch(`${master.url}/master/quota/web`, { method: 'DELETE' })
  expect(v0.status).toBe(200)
  r = await operator(master.url, { type: 'GET_QUOTA' })
  expect(((await r.json()) as any).get_quota.status.configs.map((c: any) => c.role)).toEqual(['batch'])
})
