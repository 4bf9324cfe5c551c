// CNI port mappings must use host ports the task holds as `ports` resources (TASK_ERROR otherwise).

import { describe, expect, test } from 'bun:test'
import { portMappingsError, validateTask, validateTaskGroup, type TaskValidationContext } from '../../src/master/validation/task.ts'

const ctx: TaskValidationContext = { frameworkId: 'F', agentId: 'A', taskIdInUse: () => false, existingExecutor: () => undefined }
const cpus = { name: 'cpus', type: 'SCALAR', scalar: { value: 0.1 } }
const ports = (...r: [number, number][]) => ({ name: 'ports', type: 'RANGES', ranges: { range: r.map(([begin, end]) => ({ begin, end })) } })
const net = (...pms: { host_port: number; container_port: number; protocol?: string }[]) => ({ type: 'MESOS', network_infos: [{ name: 'meso', port_mappings: pms }] }) as any
const task = (container: any, resources: any[]) => ({ name: 't', task_id: { value: 't1' }, agent_id: { value: 'A' }, resources, command: { value: 'true' }, container }) as any

describe('port mappings vs ports resources', () => {
  test('host ports inside the task\'s ports ranges pass', () => {
    expect(validateTask(task(net({ host_port: 31080, container_port: 80 }, { host_port: 31081, container_port: 53, protocol: 'udp' }), [cpus, ports([31080, 31081])]), ctx)).toBeUndefined()
    expect(validateTask(task({ type: 'MESOS', network_infos: [{ name: 'meso' }] }, [cpus]), ctx)).toBeUndefined()
  })

  test('a host port the task does not hold is TASK_ERROR naming the port, network and held ranges', () => {
    expect(validateTask(task(net({ host_port: 31090, container_port: 80 }), [cpus, ports([31080, 31081])]), ctx))
      .toBe("Task's ContainerInfo is invalid: Port mapping 31090:80/tcp on network 'meso' uses host port 31090, which is not in the task's 'ports' resources ([31080-31081]); add it to the task's ports")
    expect(portMappingsError(net({ host_port: 8080, container_port: 80 }), [cpus] as any)).toContain("(it has none)")
  })

  test('protocols are tcp or udp; one host port per protocol', () => {
    expect(portMappingsError(net({ host_port: 31080, container_port: 80, protocol: 'sctp' }), [ports([31080, 31080])] as any)).toContain("has protocol 'sctp' (tcp or udp)")
    expect(portMappingsError(net({ host_port: 31080, container_port: 80 }, { host_port: 31080, container_port: 81, protocol: 'TCP' }), [ports([31080, 31080])] as any)).toContain('a second time')
    expect(portMappingsError(net({ host_port: 31080, container_port: 80 }, { host_port: 31080, container_port: 80, protocol: 'udp' }), [ports([31080, 31080])] as any)).toBeUndefined()
  })

  test('a task group\'s executor may map ports held by any task of the group', () => {
    const executor = { type: 'DEFAULT', executor_id: { value: 'e' }, resources: [cpus], container: net({ host_port: 31085, container_port: 80 }) } as any
    const t = (id: string, res: any[]) => ({ ...task(undefined, res), task_id: { value: id }, command: undefined })
    expect(validateTaskGroup(executor, [t('a', [cpus]), t('b', [cpus, ports([31085, 31085])])], ctx)).toBeUndefined()
    expect(validateTaskGroup(executor, [t('a', [cpus])], ctx)).toContain("Executor's ContainerInfo is invalid: Port mapping 31085:80/tcp")
  })
})
