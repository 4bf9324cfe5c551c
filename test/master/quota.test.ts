// Quota on the master: request validation with upstream's messages, the SET/UPDATE/REMOVE/GET handlers driven through
// the master harness (no sockets), persistence in the SQLite registrar and recovery before the first allocation.

import { describe, expect, test } from 'bun:test'
import { MasterContender } from '../../src/master/ha/contender.ts'
import { ZooKeeperRegistrar } from '../../src/master/ha/zk-registrar.ts'
import { masterInfo } from '../../src/master/master-info.ts'
import { startZooKeeper } from '../helpers/zookeeper.ts'
import { parseAcls } from '../../src/core/authz/acls.ts'
import { RequestAuthz, UNRESTRICTED } from '../../src/core/authz/request.ts'
import { MasterHarness } from '../../src/master/harness.ts'
import { quotaOfRecord } from '../../src/master/quota/config.ts'
import { quotaStatus, removeQuota, setQuota, updateQuota } from '../../src/master/quota/handler.ts'
import { quotaConfigError, quotaRequestError } from '../../src/master/quota/validation.ts'
import { Registrar } from '../../src/master/registrar.ts'

const scalar = (name: string, value: number) => ({ name, type: 'SCALAR' as const, scalar: { value } })

describe('validation', () => {
  test('QuotaConfig', () => {
    expect(quotaConfigError({ role: 'dev', guarantees: { cpus: { value: 1 } }, limits: { cpus: { value: 2 } } })).toBeUndefined()
    expect(quotaConfigError({ role: 'dev' })).toBeUndefined()
    expect(quotaConfigError({})).toBe("'QuotaConfig.role' must be set")
    expect(quotaConfigError({ role: 'a//b' })).toBe("Invalid 'QuotaConfig.role': Role 'a//b' cannot contain two adjacent slashes")
    expect(quotaConfigError({ role: 'dev', guarantees: { cpus: { value: -1 } } }))
      .toBe("Invalid guarantee configuration {'cpus': -1}: Negative values not supported")
    expect(quotaConfigError({ role: 'dev', limits: { mem: { value: 2 ** 41 } } }))
      .toBe(`Invalid 'QuotaConfig.limits': {'mem': ${2 ** 41}} is invalid: values greater than 1 exabyte (1099511627776) are not supported`)
    expect(quotaConfigError({ role: 'dev', guarantees: { cpus: { value: 2 } }, limits: { cpus: { value: 1 } } }))
      .toBe("'QuotaConfig.guarantees' { cpus: 2 } is not contained within the 'QuotaConfig.limits' { cpus: 1 }")
  })

  test('QuotaRequest', () => {
    expect(quotaRequestError({ role: 'dev', guarantee: [scalar('cpus', 1)] })).toBeUndefined()
    expect(quotaRequestError({ guarantee: [scalar('cpus', 1)] })).toBe('Failed to validate set quota request: QuotaInfo must specify a role')
    expect(quotaRequestError({ role: 'dev', guarantee: [] })).toBe("Failed to validate set quota request: QuotaInfo with empty 'guarantee'")
    expect(quotaRequestError({ role: 'dev', guarantee: [scalar('cpus', 1), scalar('cpus', 2)] }))
      .toBe("Failed to validate set quota request: QuotaInfo contains duplicate resource name 'cpus'")
    expect(quotaRequestError({ role: 'dev', guarantee: [{ ...scalar('cpus', 1), role: 'dev' }] }))
      .toBe('Failed to validate set quota request: QuotaInfo must not contain any ReservationInfo')
    expect(quotaRequestError({ role: 'dev', guarantee: [{ name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 1, end: 2 }] } }] }))
      .toBe('Failed to validate set quota request: QuotaInfo must not include non-scalar resources')
  })
})

describe('handlers', () => {
  const withAgent = () => {
    const h = new MasterHarness()
    h.registerAgent('cpus:4;mem:4096')
    return h
  }

  test('SET_QUOTA sets guarantees and limits, persists them, and GET_QUOTA shows infos and configs', async () => {
    const h = withAgent()
    const res = setQuota(h.master, UNRESTRICTED, { role: 'dev', guarantee: [scalar('cpus', 1), scalar('mem', 512)] })
    expect(res.status).toBe(200)
    expect(h.persisted).toContainEqual({ op: 'putQuota', record: { role: 'dev', guarantees: { cpus: 1, mem: 512 }, limits: { cpus: 1, mem: 512 } } })
    expect(quotaStatus(h.master.state, UNRESTRICTED)).toEqual({
      infos: [{ role: 'dev', guarantee: [scalar('cpus', 1), scalar('mem', 512)] }],
      configs: [{ role: 'dev', guarantees: { cpus: { value: 1 }, mem: { value: 512 } }, limits: { cpus: { value: 1 }, mem: { value: 512 } } }],
    })
    const again = setQuota(h.master, UNRESTRICTED, { role: 'dev', guarantee: [scalar('cpus', 1)] })
    expect(again.status).toBe(400)
    expect(await again.text()).toBe("Failed to validate set quota request: Cannot set quota for role 'dev' which already has quota")
  })

  test('SET_QUOTA beyond the cluster is a 409 unless forced; nested roles are refused', async () => {
    const h = withAgent()
    const over = setQuota(h.master, UNRESTRICTED, { role: 'big', guarantee: [scalar('cpus', 8)] })
    expect(over.status).toBe(409)
    expect(await over.text()).toBe("Quota guarantees overcommit the cluster (use 'force' to bypass this check): " +
      "Total quota guarantees 'cpus:8' exceed cluster capacity 'cpus:4; mem:4096'")
    expect(setQuota(h.master, UNRESTRICTED, { role: 'big', force: true, guarantee: [scalar('cpus', 8)] }).status).toBe(200)
    const nested = setQuota(h.master, UNRESTRICTED, { role: 'a/b', guarantee: [scalar('cpus', 1)] })
    expect(nested.status).toBe(400)
    expect(await nested.text()).toBe("Setting quota on nested role 'a/b' is not supported yet")
  })

  test('UPDATE_QUOTA: guarantees ≤ limits, capacity check with force, limits below consumption need force', async () => {
    const h = withAgent()
    const { framework: fw } = h.subscribe({ roles: ['dev'], capabilities: [{ type: 'MULTI_ROLE' }] })
    h.allocate()
    const offer = h.offersFor(fw)[0]!
    h.launch(fw, offer, [{ resources: [scalar('cpus', 2), scalar('mem', 1024)] }])
    const tooLow = updateQuota(h.master, UNRESTRICTED, { quota_configs: [{ role: 'dev', limits: { cpus: { value: 1 } } }] })
    expect(tooLow.status).toBe(400)
    expect(await tooLow.text()).toBe("Invalid QuotaConfig: Role 'dev' is already consuming 'cpus:2; mem:1024'; this is more than the " +
      "requested limits 'cpus:1' (use 'force' flag to bypass this check)")
    expect(updateQuota(h.master, UNRESTRICTED, { force: true, quota_configs: [{ role: 'dev', limits: { cpus: { value: 1 } } }] }).status).toBe(200)
    const big = updateQuota(h.master, UNRESTRICTED, { quota_configs: [{ role: 'ops', guarantees: { cpus: { value: 5 } } }] })
    expect(big.status).toBe(400)
    expect(await big.text()).toBe("Invalid QuotaConfig: total quota guarantees 'cpus:5' exceed cluster capacity 'cpus:4; mem:4096' (use 'force' flag to bypass this check)")
    const nested = updateQuota(h.master, UNRESTRICTED, { quota_configs: [{ role: 'ops/x' }] })
    expect(await nested.text()).toBe("Updating quota on nested role 'ops/x' is not supported yet")
    // An empty config removes the quota.
    expect(updateQuota(h.master, UNRESTRICTED, { quota_configs: [{ role: 'dev' }] }).status).toBe(200)
    expect(h.master.state.quotas.has('dev')).toBe(false)
    expect(h.persisted.at(-1)).toEqual({ op: 'removeQuota', role: 'dev' })
  })

  test('a new limit rescinds offers above it', () => {
    const h = withAgent()
    const { framework: fw } = h.subscribe({ roles: ['dev'], capabilities: [{ type: 'MULTI_ROLE' }] })
    h.allocate()
    expect(h.offersFor(fw)).toHaveLength(1)
    expect(updateQuota(h.master, UNRESTRICTED, { quota_configs: [{ role: 'dev', limits: { cpus: { value: 1 } } }] }).status).toBe(200)
    expect(h.eventsTo(fw, 'RESCIND')).toHaveLength(1)
    h.allocate()
    const offers = h.offersFor(fw)
    expect(offers.reduce((s, o) => s + (o.resources?.find(r => r.name === 'cpus')?.scalar?.value ?? 0), 0)).toBe(1)
  })

  test('REMOVE_QUOTA of a role without quota is a 400; authorization is UPDATE_QUOTA per role, GET_QUOTA filters', async () => {
    const h = withAgent()
    const none = removeQuota(h.master, UNRESTRICTED, 'dev')
    expect(none.status).toBe(400)
    expect(await none.text()).toBe("Failed to remove quota: Role 'dev' has no quota set")
    setQuota(h.master, UNRESTRICTED, { role: 'dev', guarantee: [scalar('cpus', 1)] })
    setQuota(h.master, UNRESTRICTED, { role: 'ops', guarantee: [scalar('cpus', 1)] })
    const acls = parseAcls(JSON.stringify({
      permissive: false,
      get_quotas: [{ principals: { values: ['ops'] }, roles: { values: ['ops'] } }],
      update_quotas: [{ principals: { values: ['ops'] }, roles: { values: ['ops'] } }],
    }))
    const ops = new RequestAuthz(acls, { value: 'ops' })
    expect(quotaStatus(h.master.state, ops).configs?.map(c => c.role)).toEqual(['ops'])
    expect(removeQuota(h.master, ops, 'dev').status).toBe(403)
    expect(removeQuota(h.master, ops, 'ops').status).toBe(200)
    expect([...h.master.state.quotas.keys()]).toEqual(['dev'])
  })
})

test('quotas survive a restart: the registrar keeps them and the master recovers them before allocating', () => {
  const reg = Registrar.open(undefined)
  reg.write([{ op: 'putQuota', record: { role: 'dev', guarantees: { cpus: 1 }, limits: { cpus: 2 } } }, { op: 'putQuota', record: { role: 'ops', guarantees: {}, limits: { mem: 64 } } }])
  reg.write([{ op: 'removeQuota', role: 'ops' }])
  const snap = reg.snapshot()
  expect(snap.quotas).toEqual([{ role: 'dev', guarantees: { cpus: 1 }, limits: { cpus: 2 } }])
  reg.close()

  const h = new MasterHarness({ recovered: { quotas: snap.quotas } })
  expect(h.master.state.quotas.get('dev')).toEqual(quotaOfRecord(snap.quotas![0]!))
  expect(h.master.state.allocator.quota('dev').limits.get('cpus')).toBe(2)
})

test('quotas in the ZooKeeper registrar: written by a leader, read by its successor', async () => {
  const zk = await startZooKeeper()
  try {
    const open = async (n: number) => {
      const c = await MasterContender.join(zk.url('/quota'), masterInfo(`m${n}`, 'localhost', '127.0.0.1', 5050 + n), { sessionTimeoutMs: 2000 })
      await c.elected
      return { c, r: await ZooKeeperRegistrar.open(c, () => {}) }
    }
    const a = await open(1)
    a.r.write([
      { op: 'putQuota', record: { role: 'dev', guarantees: { cpus: 1 }, limits: {} } },
      { op: 'putQuota', record: { role: 'a b', guarantees: {}, limits: { mem: 64 } } },
    ])
    a.r.write([{ op: 'putQuota', record: { role: 'dev', guarantees: { cpus: 2 }, limits: { cpus: 4 } } }, { op: 'removeQuota', role: 'a b' }])
    await a.r.flushed()
    a.r.close()
    await a.c.withdraw()
    const b = await open(2)
    expect((await b.r.snapshot()).quotas).toEqual([{ role: 'dev', guarantees: { cpus: 2 }, limits: { cpus: 4 } }])
    b.r.close()
    await b.c.withdraw()
  } finally {
    await zk.stop()
  }
})
