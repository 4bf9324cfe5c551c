// The stored copy of a TaskStatus (src/master/stored-status.ts): the same JSON as the status it was made from, with
// ids and network infos shared with what the master already holds; `jsonEqual` answers what comparing the two
// JSON.stringify strings answered, without building them.

import { describe, expect, test } from 'bun:test'
import type { Task, TaskStatus } from '../../src/core/v1/messages.ts'
import { jsonEqual, storedStatus } from '../../src/master/stored-status.ts'

const byStrings = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b)

describe('jsonEqual', () => {
  test('agrees with comparing JSON.stringify strings', () => {
    const fn = () => 1
    const values: unknown[] = [
      undefined, null, true, false, 0, -0, 1, 1.5, NaN, Infinity, -Infinity, '', '0', 'null', 'a', fn,
      [], [null], [undefined], [fn], [1, 2], [2, 1], [[1]], [[]], {}, { a: undefined }, { a: fn }, { a: 1 }, { a: 1, b: undefined },
      { b: undefined, a: 1 }, { a: 1, b: 2 }, { b: 2, a: 1 }, { a: null }, { a: NaN }, { a: [1] }, { a: { b: 'c' } }, { a: { b: 'c', d: undefined } },
      { value: 'x' }, { value: 'x', parent: { value: 'y' } }, { value: 'x', parent: { value: 'z' } }, { parent: { value: 'y' }, value: 'x' },
      new Date(0), { toJSON: () => 1 }, [{ ip_addresses: [{ protocol: 'IPv4', ip_address: '127.0.0.1' }] }],
      [{ ip_addresses: [{ ip_address: '127.0.0.1', protocol: 'IPv4' }] }], [{ ip_addresses: [{ protocol: 'IPv4', ip_address: '127.0.0.2' }] }],
      Object.assign(Object.create(null), { a: 1 }),
    ]
    for (const a of values) for (const b of values) {
      expect([a, b, jsonEqual(a, b)]).toEqual([a, b, byStrings(a, b)])
      // Copies through JSON are always equal to each other, as the two strings are.
      if (a !== undefined && typeof a !== 'function') expect(jsonEqual(JSON.parse(JSON.stringify(a)), JSON.parse(JSON.stringify(a)))).toBe(true)
    }
  })

  test('random JSON values and near copies', () => {
    let seed = 7
    const rnd = (n: number) => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed % n }
    const gen = (depth: number): unknown => {
      switch (rnd(depth > 3 ? 4 : 7)) {
        case 0: return rnd(3) === 0 ? null : rnd(2) === 0
        case 1: return rnd(5) - 2
        case 2: return ['a', 'b', ''][rnd(3)]
        case 3: return rnd(4) === 0 ? undefined : 'u'
        case 4: case 5: { const o: Record<string, unknown> = {}; for (let i = rnd(4); i > 0; i--) o[['a', 'b', 'c'][rnd(3)]!] = gen(depth + 1); return o }
        default: return Array.from({ length: rnd(3) }, () => gen(depth + 1))
      }
    }
    let equal = 0
    for (let i = 0; i < 20_000; i++) {
      const a = gen(0), b = rnd(2) ? gen(0) : structuredClone(a)
      const want = byStrings(a, b)
      if (want) equal++
      expect(jsonEqual(a, b)).toBe(want)
    }
    expect(equal).toBeGreaterThan(1000)
  })
})

describe('storedStatus', () => {
  const net = () => [{ ip_addresses: [{ protocol: 'IPv4' as const, ip_address: '10.1.2.3' }] }]
  const status = (state: TaskStatus['state'], extra: Partial<TaskStatus> = {}): TaskStatus => ({
    task_id: { value: 't1' }, state, source: 'SOURCE_EXECUTOR', agent_id: { value: 'S1' }, executor_id: { value: 'e1' },
    container_status: { container_id: { value: 'c1', parent: { value: 'p1' } }, network_infos: net() }, ...extra,
  })

  test('the same JSON; ids, the container id and network infos shared', () => {
    const task = { task_id: { value: 't1' }, agent_id: { value: 'S1' }, statuses: [] as TaskStatus[] } as unknown as Task
    const first = status('TASK_STARTING')
    const s1 = storedStatus(task, first)
    expect(JSON.stringify(s1)).toBe(JSON.stringify(first))
    expect(s1.task_id).toBe(task.task_id)
    expect(s1.agent_id).toBe(task.agent_id)
    task.statuses = [s1]
    const second = status('TASK_RUNNING')
    const s2 = storedStatus(task, second)
    expect(JSON.stringify(s2)).toBe(JSON.stringify(second))
    expect(s2.executor_id).toBe(s1.executor_id)
    expect(s2.container_status!.container_id).toBe(s1.container_status!.container_id)
    expect(s2.container_status!.network_infos).toBe(s1.container_status!.network_infos)
    // Another task on another agent with the same address shares the network infos too.
    const other = { task_id: { value: 't2' }, agent_id: { value: 'S2' }, statuses: [] } as unknown as Task
    const s3 = storedStatus(other, status('TASK_RUNNING', { task_id: { value: 't2' }, agent_id: { value: 'S2' } }))
    expect(s3.container_status!.network_infos).toBe(s1.container_status!.network_infos)
  })

  test('what differs is kept as it came', () => {
    const task = { task_id: { value: 't1' }, agent_id: { value: 'S1' }, statuses: [] as TaskStatus[] } as unknown as Task
    task.statuses = [storedStatus(task, status('TASK_STARTING'))]
    const moved = status('TASK_RUNNING', { executor_id: { value: 'e2' } })
    moved.container_status = { container_id: { value: 'c1', parent: { value: 'p2' } }, network_infos: [{ ip_addresses: [{ protocol: 'IPv4', ip_address: '10.1.2.3' }], name: 'n' }] }
    const s = storedStatus(task, moved)
    expect(JSON.stringify(s)).toBe(JSON.stringify(moved))
    expect(s.executor_id).toBe(moved.executor_id)
    expect(s.container_status!.container_id).toBe(moved.container_status.container_id)
    expect(s.container_status!.network_infos).not.toBe(task.statuses[0]!.container_status!.network_infos)
    // Many distinct infos behind one address: each is still stored as it came.
    for (let i = 0; i < 50; i++) {
      const st = status('TASK_RUNNING', { container_status: { network_infos: [{ ip_addresses: [{ ip_address: '10.9.9.9' }], name: `n${i}` }] } })
      expect(JSON.stringify(storedStatus(task, st))).toBe(JSON.stringify(st))
    }
  })
})
