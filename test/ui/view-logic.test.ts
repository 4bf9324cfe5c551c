// Pure pieces of the web UI: resources, formatting, the task table's query, routes, chart series, alerts.

import { expect, test } from 'bun:test'
import { alertsOf, STUCK_STAGING_SECONDS } from '../../src/ui/model/alerts.ts'
import { applyEvent, emptyClusterState, type WireTask } from '../../src/ui/model/cluster-state.ts'
import { formatAgo, formatBytes, formatMb, formatUsage, stateLabel, stateTone } from '../../src/ui/model/format.ts'
import { byReservation, formatRanges, portsOf, scalarsOf, volumesOf, type WireResource } from '../../src/ui/model/resources.ts'
import { parseRoute, routeHash, type Route } from '../../src/ui/model/route.ts'
import { Series, sparkline } from '../../src/ui/model/series.ts'
import { DEFAULT_TASK_QUERY, queryTasks, taskRow, toggleSort } from '../../src/ui/model/task-query.ts'

const scalar = (name: string, value: number, role?: string): WireResource => ({ name, type: 'SCALAR', scalar: { value }, ...(role ? { reservations: [{ type: 'STATIC', role }] } : {}) })
const ports = (ranges: [number, number][], role?: string): WireResource => ({ name: 'ports', type: 'RANGES', ranges: { range: ranges.map(([begin, end]) => ({ begin, end })) }, ...(role ? { reservations: [{ role }] } : {}) })

test('resources: scalar sums, reservations by role, ports and volumes', () => {
  const r = [scalar('cpus', 1.5), scalar('cpus', 0.5, 'dev'), scalar('mem', 1024), scalar('gpus', 1), ports([[31005, 31010], [31000, 31000]]), ports([[32000, 32001]], 'dev')]
  expect(scalarsOf(r)).toEqual({ cpus: 2, mem: 1024, disk: 0, gpus: 1 })
  expect(byReservation(r)).toEqual([
    { role: '*', scalars: { cpus: 1.5, mem: 1024, disk: 0, gpus: 1 }, ports: '31000, 31005-31010' },
    { role: 'dev', scalars: { cpus: 0.5, mem: 0, disk: 0, gpus: 0 }, ports: '32000-32001' },
  ])
  expect(portsOf(r)).toBe('31000, 31005-31010, 32000-32001')
  expect(formatRanges([])).toBe('')
  const vol: WireResource = { ...scalar('disk', 64, 'db'), disk: { persistence: { id: 'pg' }, volume: { container_path: 'data' } } }
  expect(volumesOf([vol, scalar('disk', 10)])).toEqual([{ id: 'pg', path: 'data', mb: 64, role: 'db' }])
})

test('formatting', () => {
  expect(formatMb(512)).toBe('512 MB')
  expect(formatMb(2048)).toBe('2 GB')
  expect(formatMb(1536.5)).toBe('1.5 GB')
  expect(formatMb(3 * 1024 * 1024)).toBe('3 TB')
  expect(formatBytes(7)).toBe('7 B')
  expect(formatBytes(2048)).toBe('2 KB')
  expect(formatUsage('cpus', 0.3, 2)).toBe('0.3 / 2 (15%)')
  expect(formatUsage('mem', 32, 2048)).toBe('32 MB / 2 GB (2%)')
  expect(formatUsage('gpus', 0, 0)).toBe('0 / 0')
  expect(formatAgo(100, 105_000)).toBe('5s')
  expect(formatAgo(100, (100 + 7200) * 1000)).toBe('2h')
  expect(formatAgo(undefined)).toBe('–')
  expect(stateLabel('TASK_GONE_BY_OPERATOR')).toBe('gone by operator')
  expect(stateTone('TASK_RUNNING')).toBe('ok')
  expect(stateTone('TASK_KILLING')).toBe('busy')
  expect(stateTone('TASK_FAILED')).toBe('bad')
  expect(stateTone('TASK_FINISHED')).toBe('done')
})

const t = (id: string, name: string, state: string, cpus: number, at: number): WireTask => ({
  name, task_id: { value: id }, framework_id: { value: 'F' }, agent_id: { value: id.startsWith('a') ? 'A1' : 'A2' }, state,
  resources: [scalar('cpus', cpus), scalar('mem', 32)], statuses: [{ state, timestamp: at }],
})

test('the task table: filter, search across fields, sort and its toggling', () => {
  const host = (id: string) => (id === 'A1' ? 'node-1' : 'node-2')
  const rows = [t('a1', 'web', 'TASK_RUNNING', 1, 30), t('a2', 'db', 'TASK_FINISHED', 2, 10), t('b1', 'web-canary', 'TASK_STAGING', 0.5, 20)]
    .map(x => taskRow(`F/${x.task_id.value}`, x, host, () => 'marathon'))
  const ids = (q: Partial<typeof DEFAULT_TASK_QUERY>) => queryTasks(rows, { ...DEFAULT_TASK_QUERY, ...q }).map(r => r.task.task_id.value)
  expect(ids({})).toEqual(['a1', 'b1']) // active, newest first
  expect(ids({ filter: 'completed' })).toEqual(['a2'])
  expect(ids({ filter: 'all', sort: 'cpus', descending: true })).toEqual(['a2', 'a1', 'b1'])
  expect(ids({ filter: 'all', sort: 'name', descending: false })).toEqual(['a2', 'a1', 'b1'])
  expect(ids({ filter: 'all', search: 'WEB node-2' })).toEqual(['b1'])
  expect(ids({ filter: 'all', search: 'staging' })).toEqual(['b1'])
  expect(ids({ filter: 'all', search: 'marathon' }).length).toBe(3)
  const q1 = toggleSort(DEFAULT_TASK_QUERY, 'name')
  expect([q1.sort, q1.descending]).toEqual(['name', false])
  expect(toggleSort(q1, 'name').descending).toBe(true)
  expect(toggleSort(q1, 'mem').descending).toBe(true)
})

test('routes round-trip through the hash, ids with slashes and spaces included', () => {
  const routes: Route[] = [
    { page: 'overview' }, { page: 'agents' }, { page: 'agent', id: 'abc-S0' }, { page: 'frameworks' }, { page: 'framework', id: 'f/1' },
    { page: 'tasks' }, { page: 'tasks', search: 'web 1' }, { page: 'task', frameworkId: 'F', taskId: 'web.1 x/y', file: 'stdout.1' },
    { page: 'task', frameworkId: 'F', taskId: 't' },
  ]
  for (const r of routes) expect(parseRoute(routeHash(r))).toEqual({ ...r } as Route)
  expect(parseRoute('')).toEqual({ page: 'overview' })
  expect(parseRoute('#/nope/x')).toEqual({ page: 'not-found', path: '/nope/x' })
  expect(parseRoute('#/tasks/only-one')).toEqual({ page: 'not-found', path: '/tasks/only-one' })
  expect(parseRoute('#/agents/%E0%A4%A')).toEqual({ page: 'agent', id: '%E0%A4%A' }) // a malformed escape is kept as typed
})

test('chart series stay bounded and draw the recent span only', () => {
  const s = new Series<number>(3)
  for (let i = 1; i <= 5; i++) s.push(i * 1000, i)
  expect(s.length).toBe(3)
  expect(s.samples().map(x => x.value)).toEqual([3, 4, 5])
  expect(() => new Series(0)).toThrow('positive integer')
  // 10 s span, now = 5 s: samples at 3, 4, 5 s land at 60 %, 80 %, 100 % of the width; values scaled to max 10.
  expect(sparkline(s.samples(), 10, 100, 10, 10_000, 5000)).toBe('80,7 90,6 100,5')
  expect(sparkline(s.samples(), 10, 100, 10, 1500, 5000)).toBe('33.3,6 100,5')
  expect(sparkline([], 10, 100, 10, 1000, 0)).toBe('')
  // Values beyond max are clamped to the top; a zero max does not divide by zero.
  expect(sparkline([{ at: 0, value: 50 }], 10, 100, 10, 1000, 0)).toBe('100,0')
  expect(sparkline([{ at: 0, value: 0 }], 0, 100, 10, 1000, 0)).toBe('100,10')
})

test('alerts: removed agents, draining and deactivated agents, tasks stuck staging; not disconnected frameworks', () => {
  const s = emptyClusterState()
  applyEvent(s, {
    type: 'SUBSCRIBED', subscribed: { get_state: {
      get_agents: { agents: [
        { agent_info: { id: { value: 'A' }, hostname: 'a' }, active: true, drain_info: { state: 'DRAINING' } },
        { agent_info: { id: { value: 'B' }, hostname: 'b' }, active: false, deactivated: true },
        { agent_info: { id: { value: 'C' }, hostname: 'c' }, active: true },
      ] },
      get_frameworks: { frameworks: [{ framework_info: { id: { value: 'F' }, name: 'spark' }, connected: false }] },
      get_tasks: { tasks: [
        { name: 's', task_id: { value: 's' }, framework_id: { value: 'F' }, agent_id: { value: 'C' }, state: 'TASK_STAGING', statuses: [{ state: 'TASK_STAGING', timestamp: 1000 }] },
        { name: 'n', task_id: { value: 'n' }, framework_id: { value: 'F' }, agent_id: { value: 'C' }, state: 'TASK_STAGING', statuses: [{ state: 'TASK_STAGING', timestamp: 1000 + STUCK_STAGING_SECONDS }] },
      ] },
    } },
  })
  applyEvent(s, { type: 'AGENT_REMOVED', agent_removed: { agent_id: { value: 'C' } } })
  const alerts = alertsOf(s, (1000 + STUCK_STAGING_SECONDS + 1) * 1000)
  expect(alerts.map(a => [a.level, a.text])).toEqual([
    ['error', 'agent c (C) was removed from the cluster'],
    ['warning', 'agent a is draining'],
    ['warning', 'agent b is deactivated (no offers)'],
    ['warning', '1 task staging for more than 2 minutes'],
  ])
  expect(alerts.at(-1)!.link).toBe('#/tasks/F/s')
})

test('an agent is on a machine in maintenance when every part of the machine id matches', async () => {
  const { machineMode } = await import('../../src/ui/model/maintenance.ts')
  const a = { agent_info: { hostname: 'node-1' }, pid: 'slave(1)@10.0.0.5:5051' }
  expect(machineMode(a, undefined)).toBeUndefined()
  expect(machineMode(a, {})).toBeUndefined()
  expect(machineMode(a, { draining_machines: [{ id: { hostname: 'node-1' } }] })).toBe('DRAINING')
  expect(machineMode(a, { draining_machines: [{ id: { hostname: 'node-1', ip: '10.0.0.6' } }] })).toBeUndefined()
  expect(machineMode(a, { down_machines: [{ ip: '10.0.0.5' }], draining_machines: [{ id: { hostname: 'node-1' } }] })).toBe('DOWN')
  expect(machineMode(a, { down_machines: [{}] })).toBeUndefined()
})
