// The pure parts of maintenance and drain: schedule validation and machine modes (src/master/maintenance/schedule.ts),
// the inverse offers book (inverse-offers.ts), the drain state machine (src/master/drain.ts) and the agent's drain
// helpers (src/agent/agent-drain.ts). Messages are upstream's (src/master/maintenance.cpp, http.cpp).

import { describe, expect, test } from 'bun:test'
import { drainKillPolicy, drainStatus } from '../../src/agent/agent-drain.ts'
import type { TaskState } from '../../src/core/v1/messages.ts'
import { drainConfigOf, drainProgress, reactivationError } from '../../src/master/drain.ts'
import { InverseOfferBook } from '../../src/master/maintenance/inverse-offers.ts'
import { MaintenanceState } from '../../src/master/maintenance/maintenance-state.ts'
import {
  applySchedule, machineKey, machineMatches, startMaintenance, stopMaintenance, validateMachines, validateSchedule, type MachineRecord,
} from '../../src/master/maintenance/schedule.ts'

const U = { start: { nanoseconds: 1_700_000_000_000_000_000 }, duration: { nanoseconds: 3_600_000_000_000 } }
const none = new Map<string, MachineRecord>()

describe('schedule validation', () => {
  test('accepts windows of valid machines', () => {
    expect(validateSchedule({ windows: [{ machine_ids: [{ hostname: 'a' }, { ip: '10.0.0.2' }], unavailability: U }] }, none)).toBeUndefined()
    expect(validateSchedule({ windows: [] }, none)).toBeUndefined()
  })

  test.each([
    [{ windows: [{ machine_ids: [], unavailability: U }] }, 'List of machines in the maintenance window is empty'],
    [{ windows: [{ machine_ids: [{}], unavailability: U }] }, "Both 'hostname' and 'ip' for a machine are empty"],
    [{ windows: [{ machine_ids: [{ ip: 'not-an-ip' }], unavailability: U }] }, "Failed to parse IP address 'not-an-ip': not an IPv4 address"],
    [{ windows: [{ machine_ids: [{ hostname: 'a' }], unavailability: { start: { nanoseconds: 1 }, duration: { nanoseconds: -1 } } }] }, "Unavailability 'duration' is negative"],
    [{ windows: [{ machine_ids: [{ hostname: 'a' }], unavailability: U }, { machine_ids: [{ hostname: 'A' }], unavailability: U }] }, `Machine '{"hostname":"A"}' appears more than once in the schedule`],
  ] as const)('refuses %j', (schedule, message) => {
    expect(validateSchedule(schedule as never, none)).toBe(message)
  })

  test('a DOWN machine cannot leave the schedule', () => {
    const machines = new Map<string, MachineRecord>([[machineKey({ hostname: 'a' }), { id: { hostname: 'a' }, mode: 'DOWN', unavailability: U }]])
    expect(validateSchedule({ windows: [] }, machines)).toBe(`Machine '{"hostname":"a"}' is deactivated and cannot be removed from the schedule`)
    expect(validateSchedule({ windows: [{ machine_ids: [{ hostname: 'a' }], unavailability: U }] }, machines)).toBeUndefined()
  })

  test('machine lists (START/STOP_MAINTENANCE)', () => {
    expect(validateMachines([])).toBe('List of machines is empty')
    expect(validateMachines([{ hostname: 'a' }, { hostname: 'a' }])).toBe(`Machine '{"hostname":"a"}' appears more than once in the schedule`)
  })

  test('machines match agents by the fields they give, hostnames case-insensitively', () => {
    const agent = { hostname: 'Node-1', ip: '10.0.0.2' }
    expect(machineMatches({ hostname: 'node-1' }, agent)).toBe(true)
    expect(machineMatches({ ip: '10.0.0.2' }, agent)).toBe(true)
    expect(machineMatches({ hostname: 'node-1', ip: '10.0.0.3' }, agent)).toBe(false)
    expect(machineMatches({}, agent)).toBe(false)
  })
})

describe('the master finds an agent\'s machine', () => {
  test('by hostname (and IP when given) or by IP alone; the index follows schedule changes', () => {
    const m = new MaintenanceState()
    m.machines = applySchedule({ windows: [{ machine_ids: [{ hostname: 'A', ip: '10.0.0.1' }, { ip: '10.0.0.9' }], unavailability: U }] }, none).machines
    expect(m.machineOf({ hostname: 'a', address: '10.0.0.1:5051' })?.id).toEqual({ hostname: 'A', ip: '10.0.0.1' })
    expect(m.machineOf({ hostname: 'a', address: '10.0.0.2:5051' })).toBeUndefined()
    expect(m.machineOf({ hostname: 'other', address: '10.0.0.9:5051' })?.id).toEqual({ ip: '10.0.0.9' })
    m.machines = applySchedule({ windows: [{ machine_ids: [{ hostname: 'other' }], unavailability: U }] }, m.machines).machines
    expect(m.machineOf({ hostname: 'a', address: '10.0.0.1:5051' })).toBeUndefined()
    expect(m.machineOf({ hostname: 'other', address: '10.0.0.9:5051' })?.id).toEqual({ hostname: 'other' })
  })
})

describe('machine modes', () => {
  test('UP → DRAINING (scheduled) → DOWN (START) → UP and out of the schedule (STOP)', () => {
    const schedule = { windows: [{ machine_ids: [{ hostname: 'a' }, { hostname: 'b' }], unavailability: U }] }
    const applied = applySchedule(schedule, none)
    expect([...applied.machines.values()].map(m => m.mode)).toEqual(['DRAINING', 'DRAINING'])
    expect(applied.changed).toHaveLength(2)

    expect(stopMaintenance([{ hostname: 'a' }], applied.machines, schedule)).toEqual({ error: `Machine '{"hostname":"a"}' is not in DOWN mode and cannot be brought up` })
    expect(startMaintenance([{ hostname: 'c' }], applied.machines)).toEqual({ error: `Machine '{"hostname":"c"}' is not part of a maintenance schedule` })
    const started = startMaintenance([{ hostname: 'a' }], applied.machines)
    if ('error' in started) throw new Error(started.error)
    expect(started.machines.get(machineKey({ hostname: 'a' }))?.mode).toBe('DOWN')
    expect(startMaintenance([{ hostname: 'a' }], started.machines)).toEqual({ error: `Machine '{"hostname":"a"}' is not in DRAINING mode and cannot be brought down` })

    const stopped = stopMaintenance([{ hostname: 'a' }], started.machines, schedule)
    if ('error' in stopped) throw new Error(stopped.error)
    expect([...stopped.machines.keys()]).toEqual([machineKey({ hostname: 'b' })])
    expect(stopped.schedule).toEqual({ windows: [{ machine_ids: [{ hostname: 'b' }], unavailability: U }] })
  })

  test('a new schedule keeps DOWN machines DOWN, reports changed unavailabilities and machines that left', () => {
    const first = applySchedule({ windows: [{ machine_ids: [{ hostname: 'a' }, { hostname: 'b' }], unavailability: U }] }, none)
    const down = startMaintenance([{ hostname: 'a' }], first.machines)
    if ('error' in down) throw new Error(down.error)
    const later = { start: { nanoseconds: U.start.nanoseconds + 1e9 } }
    const second = applySchedule({ windows: [{ machine_ids: [{ hostname: 'a' }], unavailability: U }, { machine_ids: [{ hostname: 'c' }], unavailability: later }] }, down.machines)
    expect(second.machines.get(machineKey({ hostname: 'a' }))?.mode).toBe('DOWN')
    expect(second.machines.get(machineKey({ hostname: 'c' }))?.mode).toBe('DRAINING')
    expect(second.changed.map(m => [m.id.hostname, m.mode])).toEqual([['c', 'DRAINING'], ['b', 'UP']])
  })
})

describe('inverse offers book', () => {
  test('one outstanding per (agent, framework); an answer is recorded and filters the next one', () => {
    const book = new InverseOfferBook()
    const agents = [{ agentId: 'A', unavailability: U, frameworks: ['F', 'G'] }]
    expect(book.plan(agents, 0)).toHaveLength(2)
    book.add({ id: 'i1', agentId: 'A', frameworkId: 'F', unavailability: U })
    expect(book.plan(agents, 0).map(p => p.frameworkId)).toEqual(['G'])
    book.answer(book.outstanding.get('i1')!, 'DECLINE', 1_000, 5_000)
    expect(book.statuses.get('A')?.get('F')).toEqual({ status: 'DECLINE', frameworkId: 'F', timestamp: 1 })
    expect(book.plan(agents, 5_999).map(p => p.frameworkId)).toEqual(['G'])
    expect(book.plan(agents, 6_000).map(p => p.frameworkId)).toEqual(['F', 'G'])
    book.resetAgent('A')
    expect(book.statuses.has('A')).toBe(false)
  })
})

describe('drain', () => {
  test('config from DRAIN_AGENT: google.protobuf.Duration, bounded', () => {
    expect(drainConfigOf({ max_grace_period: { seconds: 2, nanos: 500 }, mark_gone: true })).toEqual({ config: { mark_gone: true, max_grace_period: { nanoseconds: 2_000_000_500 } } })
    expect(drainConfigOf({})).toEqual({ config: { mark_gone: false } })
    expect(drainConfigOf({ max_grace_period: { seconds: -1 } })).toEqual({ error: "'max_grace_period' must not be negative" })
  })

  test('DRAINING waits for the tasks, then is DRAINED or gone; DRAINED stays', () => {
    const draining = { state: 'DRAINING' as const, config: {} }
    expect(drainProgress(undefined, 0)).toBe('none')
    expect(drainProgress(draining, 2)).toBe('wait')
    expect(drainProgress(draining, 0)).toBe('drained')
    expect(drainProgress({ state: 'DRAINING', config: { mark_gone: true } }, 0)).toBe('markGone')
    expect(drainProgress({ state: 'DRAINED', config: {} }, 0)).toBe('none')
  })

  test('REACTIVATE_AGENT needs a deactivated agent that is not still DRAINING', () => {
    expect(reactivationError(false, undefined)).toBe('Agent is not deactivated')
    expect(reactivationError(true, { state: 'DRAINING', config: {} })).toBe('Agent is still in the DRAINING state')
    expect(reactivationError(true, { state: 'DRAINED', config: {} })).toBeUndefined()
  })

  test('the agent caps kill grace periods and marks kill updates', () => {
    expect(drainKillPolicy(undefined, undefined)).toBeUndefined()
    expect(drainKillPolicy(undefined, 1e9)).toEqual({ grace_period: { nanoseconds: 1e9 } })
    expect(drainKillPolicy({ grace_period: { nanoseconds: 5e9 } }, 1e9)).toEqual({ grace_period: { nanoseconds: 1e9 } })
    expect(drainKillPolicy({ grace_period: { nanoseconds: 5e8 } }, 1e9)).toEqual({ grace_period: { nanoseconds: 5e8 } })
    const killed: { state: TaskState; reason?: string } = { state: 'TASK_KILLED', reason: 'REASON_COMMAND_EXECUTOR_FAILED' }
    expect(drainStatus(killed, undefined, false)).toBe(killed)
    expect(drainStatus(killed, { markGone: false }, true)).toEqual({ state: 'TASK_KILLED', reason: 'REASON_AGENT_DRAINING' })
    expect(drainStatus(killed, { markGone: true }, true)).toEqual({ state: 'TASK_GONE_BY_OPERATOR', reason: 'REASON_AGENT_DRAINING' })
    expect(drainStatus(killed, { markGone: true }, false)).toEqual({ state: 'TASK_KILLED', reason: 'REASON_AGENT_DRAINING' })
    expect(drainStatus({ state: 'TASK_FINISHED' as const }, { markGone: true }, true)).toEqual({ state: 'TASK_FINISHED' })
  })
})
