// `meso volume list`'s rows from GET_AGENTS and GET_TASKS answers.

import { expect, test } from 'bun:test'
import { volumeRows } from '../../src/cli/handlers/volume-list.ts'
import type { Resource } from '../../src/core/resources.ts'

const vol = (id: string, role: string, size: number, path = 'data', mode?: 'RW' | 'RO'): Resource => ({
  name: 'disk', type: 'SCALAR', scalar: { value: size }, reservations: [{ type: 'DYNAMIC', role, principal: 'ops' }],
  disk: { persistence: { id, principal: 'ops' }, volume: { container_path: path, ...(mode ? { mode } : {}) } },
})

test('volumes come from the agents\' totals, with the live tasks that hold them on the same agent', () => {
  const agents = [
    { agent_info: { id: { value: 'A2' }, hostname: 'h2' }, total_resources: [vol('v1', 'db', 100)] },
    { agent_info: { id: { value: 'A1' }, hostname: 'h1' }, total_resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 4 } } as Resource, vol('v1', 'db', 64, 'pg', 'RO'), vol('v0', 'eng/x', 10)] },
  ]
  const tasks = [
    { task_id: { value: 't1' }, agent_id: { value: 'A1' }, state: 'TASK_RUNNING' as const, resources: [{ ...vol('v1', 'db', 64, 'pg', 'RO'), allocation_info: { role: 'db' } }] },
    { task_id: { value: 't0' }, agent_id: { value: 'A1' }, state: 'TASK_FINISHED' as const, resources: [vol('v0', 'eng/x', 10)] },
    { task_id: { value: 't2' }, agent_id: { value: 'A2' }, state: 'TASK_STAGING' as const, resources: [vol('v0', 'eng/x', 10)] }, // another agent's v0
  ]
  expect(volumeRows(agents, tasks)).toEqual([
    { agent_id: 'A1', hostname: 'h1', role: 'db', persistence_id: 'v1', principal: 'ops', size: 64, container_path: 'pg', mode: 'RO', in_use_by: ['t1'] },
    { agent_id: 'A1', hostname: 'h1', role: 'eng/x', persistence_id: 'v0', principal: 'ops', size: 10, container_path: 'data', mode: 'RW', in_use_by: [] },
    { agent_id: 'A2', hostname: 'h2', role: 'db', persistence_id: 'v1', principal: 'ops', size: 100, container_path: 'data', mode: 'RW', in_use_by: [] },
  ])
})

test('pre-refinement resources (role + reservation) are read too', () => {
  const old = { name: 'disk', type: 'SCALAR', scalar: { value: 5 }, role: 'db', reservation: { principal: 'ops' }, disk: { persistence: { id: 'p' }, volume: { container_path: 'd', mode: 'RW' } } } as Resource
  expect(volumeRows([{ agent_info: { id: { value: 'A' }, hostname: 'h' }, total_resources: [old] }], [])[0]).toMatchObject({ role: 'db', persistence_id: 'p', size: 5 })
})
