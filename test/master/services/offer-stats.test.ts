// /v2/queue's offer statistics when an offer launches some of an app's instances but cannot hold the next one: the
// remainder counts as a processed, unused offer with its reasons (Marathon re-matches the remaining offer in the same
// round), so UNIQUE on a one-agent cluster says at once what blocks the second instance.

import { expect, test } from 'bun:test'
import type { Offer } from '../../../src/core/v1/messages.ts'
import { KvArea } from '../../../src/master/builtin-frameworks/store.ts'
import { ServiceEvents } from '../../../src/master/services/event-stream.ts'
import { newOfferStats, processedOffersSummary, recordUsed } from '../../../src/master/services/offer-stats.ts'
import { ServiceManager } from '../../../src/master/services/service-manager.ts'
import { queueItemJson } from '../../../src/master/services/services-views.ts'

const NOW = '2026-01-01T00:00:00.000Z'
let n = 0

const offer = (host: string, cpus = 2, mem = 1024): Offer => ({
  id: { value: `o-${host}-${++n}` }, framework_id: { value: 'f' }, agent_id: { value: `agent-${host}` }, hostname: host,
  resources: [
    { name: 'cpus', type: 'SCALAR', scalar: { value: cpus } }, { name: 'mem', type: 'SCALAR', scalar: { value: mem } },
    { name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 31000, end: 31009 }] } },
  ],
})

test('a used offer alone counts as processed and used', () => {
  const s = recordUsed(newOfferStats(NOW), NOW)
  expect(s).toMatchObject({ processed: 1, unused: 0, lastUsedAt: NOW, last: [] })
})

test('a used offer whose rest cannot hold the next instance also counts that rest as unused, under its reasons', () => {
  const rest = offer('a')
  rest.resources = [{ name: 'cpus', type: 'SCALAR', scalar: { value: 0 } }, ...rest.resources!.slice(1)]
  const s = recordUsed(newOfferStats(NOW), NOW, { offer: rest, reasons: ['UnfulfilledConstraint', 'InsufficientCpus'] })
  expect(s).toMatchObject({ processed: 2, unused: 1, lastUsedAt: NOW, lastUnusedAt: NOW, attempt: { UnfulfilledConstraint: 1 } })
  // What was all taken is no part of what was left unused.
  expect(s.last[0]!.offer.resources.map(r => r.name)).toEqual(['mem', 'ports'])
  expect(s.last[0]!.reason).toEqual(['UnfulfilledConstraint', 'InsufficientCpus'])
  // Ports that ran out while being taken (no reason found beforehand) are named as such.
  expect(recordUsed(newOfferStats(NOW), NOW, { offer: rest, reasons: [] }).last[0]!.reason).toEqual(['InsufficientPorts'])
})

test('UNIQUE hostname, two instances, one agent: the first offer already says the constraint blocks the second', () => {
  const kv = new KvArea([], () => {})
  let clock = Date.parse(NOW)
  let id = 0
  const m = new ServiceManager(kv.namespace('services'), new ServiceEvents(), { now: () => clock, uuid: () => `00000000-0000-4000-8000-${String(++id).padStart(12, '0')}` })
  m.killer = { kill: () => {} }
  m.createApp({ id: '/u', cmd: 'sleep 600', instances: 2, cpus: 0.05, mem: 16, constraints: [['hostname', 'UNIQUE']] }, false)
  expect(m.matchOffer(offer('a'))).toHaveLength(1)
  const s = processedOffersSummary(m.offerStats('/u')!)
  expect(s).toMatchObject({ processedOffersCount: 2, unusedOffersCount: 1 })
  expect(s.rejectSummaryLastOffers.find(r => r.reason === 'UnfulfilledConstraint')).toEqual({ reason: 'UnfulfilledConstraint', declined: 1, processed: 1 })
  expect(s.rejectSummaryLaunchAttempt.find(r => r.reason === 'UnfulfilledConstraint')).toEqual({ reason: 'UnfulfilledConstraint', declined: 1, processed: 2 })
  const q = queueItemJson(m.getApp('/u'), 1, m, true, clock)
  expect(q.lastUnusedOffers!.map(o => [o.offer.hostname, o.reason])).toEqual([['a', ['UnfulfilledConstraint']]])
  // The remainder after the launch: 2 - 0.05 cpus, 1024 - 16 mem, the ports left.
  expect(q.lastUnusedOffers![0]!.offer.resources).toEqual(expect.arrayContaining([{ name: 'cpus', scalar: 1.95, role: '*' }, { name: 'mem', scalar: 1008, role: '*' }]))
  // The agent offered again later: counted as declined too, as before.
  clock += 5000
  expect(m.matchOffer(offer('a', 1.95, 1008))).toHaveLength(0)
  expect(processedOffersSummary(m.offerStats('/u')!)).toMatchObject({ processedOffersCount: 3, unusedOffersCount: 2 })
})

test('an offer that holds every instance wanted leaves nothing counted as unused', () => {
  const kv = new KvArea([], () => {})
  let id = 0
  const m = new ServiceManager(kv.namespace('services'), new ServiceEvents(), { now: () => Date.parse(NOW), uuid: () => `00000000-0000-4000-8000-${String(++id).padStart(12, '0')}` })
  m.createApp({ id: '/w', cmd: 'sleep 600', instances: 2, cpus: 0.1, mem: 16 }, false)
  expect(m.matchOffer(offer('a'))).toHaveLength(2)
  expect(processedOffersSummary(m.offerStats('/w')!)).toMatchObject({ processedOffersCount: 1, unusedOffersCount: 0 })
})
