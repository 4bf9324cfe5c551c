// The registrar keeps what maintenance and drain need across a master restart: the schedule with machine modes
// (`putMaintenance`), drain info on agent records, and agents removed by START_MAINTENANCE (`removeAgent`).

import { describe, expect, test } from 'bun:test'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Registrar } from '../../src/master/registrar.ts'

const info = { hostname: 'a', resources: [] }
const U = { start: { nanoseconds: 1_800_000_000_000 }, duration: { nanoseconds: 60e9 } }

describe('registrar: maintenance and drain', () => {
  test('the schedule, machine modes, drain info and removed agents survive a restart', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'meso-registrar-')), 'registry.db')
    const r = Registrar.open(path)
    const maintenance = { schedule: { windows: [{ machine_ids: [{ hostname: 'a' }], unavailability: U }] }, machines: [{ id: { hostname: 'a' }, mode: 'DOWN' as const, unavailability: U }] }
    r.write([
      { op: 'putAgent', record: { id: 'S1', info, pid: 'p', state: 'admitted', deactivated: true, drain: { state: 'DRAINING', config: { mark_gone: true, max_grace_period: { nanoseconds: 1e9 } } } } },
      { op: 'putAgent', record: { id: 'S2', info, pid: 'q', state: 'admitted' } },
      { op: 'removeAgent', id: 'S2' },
      { op: 'putMaintenance', record: maintenance },
    ])
    r.close()
    const snap = Registrar.open(path).snapshot()
    expect(snap.agents).toEqual([{ id: 'S1', info, pid: 'p', state: 'admitted', deactivated: true, drain: { state: 'DRAINING', config: { mark_gone: true, max_grace_period: { nanoseconds: 1e9 } } } }])
    expect(snap.maintenance).toEqual(maintenance)
  })
})
