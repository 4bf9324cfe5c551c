// Placing a job run: Metronome's placement constraints against an offer, the resources taken from it, and the
// TaskInfo built from the run spec.

import { describe, expect, test } from 'bun:test'
import { parseJobSpec } from '../../../src/master/jobs/job-spec.ts'
import { meetsConstraints, remainderOf, takeResources } from '../../../src/master/jobs/offer-match.ts'
import { buildJobTask, jobTaskId, parseJobTaskId } from '../../../src/master/jobs/task-info.ts'

const scalar = (name: string, value: number, role = '*') => ({ name, type: 'SCALAR' as const, scalar: { value }, ...(role !== '*' ? { role } : {}) })
const offer = {
  id: { value: 'o1' }, framework_id: { value: 'F' }, agent_id: { value: 'S1' }, hostname: 'node-1',
  resources: [scalar('cpus', 1), scalar('mem', 256), scalar('disk', 100), { name: 'ports', type: 'RANGES' as const, ranges: { range: [{ begin: 31000, end: 31010 }] } }],
  attributes: [{ name: 'rack', type: 'TEXT', text: { value: 'rack-2' } }, { name: 'cores', type: 'SCALAR', scalar: { value: 8 } }],
} as any

describe('placement constraints', () => {
  test('IS/EQ, LIKE/UNLIKE (whole-value regex), hostname, missing attributes', () => {
    const ok = (c: any[]) => meetsConstraints(offer, c)
    expect(ok([{ attribute: 'rack', operator: 'EQ', value: 'rack-2' }])).toBe(true)
    expect(ok([{ attribute: 'rack', operator: 'IS', value: 'rack-1' }])).toBe(false)
    expect(ok([{ attribute: 'hostname', operator: 'LIKE', value: 'node-[0-9]' }])).toBe(true)
    expect(ok([{ attribute: 'hostname', operator: 'LIKE', value: 'node' }])).toBe(false)
    expect(ok([{ attribute: 'cores', operator: 'EQ', value: '8' }])).toBe(true)
    expect(ok([{ attribute: 'rack', operator: 'UNLIKE', value: 'rack-[12]' }])).toBe(false)
    expect(ok([{ attribute: 'zone', operator: 'UNLIKE', value: 'a' }])).toBe(true)
    expect(ok([{ attribute: 'zone', operator: 'EQ', value: 'a' }])).toBe(false)
  })
})

describe('resources', () => {
  test('a run takes what it needs; the remainder shrinks; too little takes nothing', () => {
    const rest = remainderOf(offer)
    expect(takeResources(rest, { cpus: 0.5, mem: 128, disk: 0, gpus: 0 })).toEqual([scalar('cpus', 0.5), scalar('mem', 128)])
    expect(takeResources(rest, { cpus: 0.5, mem: 128, disk: 50, gpus: 0 })).toEqual([scalar('cpus', 0.5), scalar('mem', 128), scalar('disk', 50)])
    expect(takeResources(rest, { cpus: 0.1, mem: 1, disk: 0, gpus: 0 })).toBeUndefined()
    expect(takeResources(remainderOf(offer), { cpus: 0.1, mem: 1, disk: 0, gpus: 1 })).toBeUndefined()
    expect(offer.resources[0].scalar.value).toBe(1) // the offer itself is untouched
  })
})

describe('task info', () => {
  test('ids name the job and the run', () => {
    expect(jobTaskId('prod.app', '20160715130259abcde', 2)).toBe('prod.app_20160715130259abcde.2')
    expect(parseJobTaskId('prod.app_20160715130259abcde.2')).toEqual({ jobId: 'prod.app', runId: '20160715130259abcde' })
    expect(parseJobTaskId('some-other-task')).toBeUndefined()
  })

  test("Metronome's run spec becomes a TaskInfo: shell command, env, secrets, artifacts, image, volumes, network, grace", () => {
    const spec = parseJobSpec({
      id: 'prod.app',
      run: {
        cmd: 'echo $A', user: 'nobody', env: { A: 'a', S: { secret: 's1' } }, secrets: { s1: { source: 'team/db' } },
        artifacts: [{ uri: 'https://example.com/x.tgz' }], docker: { image: 'alpine:3', forcePullImage: true },
        volumes: [{ containerPath: '/data', hostPath: '/srv/data', mode: 'RO' }], networks: [{ name: 'meso', mode: 'container' }],
        taskKillGracePeriodSeconds: 5,
      },
    })
    const t = buildJobTask('prod.app', 'r1', 1, 'S1', spec.run, [scalar('cpus', 1)]) as any
    expect(t.task_id).toEqual({ value: 'prod.app_r1.1' })
    expect(t.command).toEqual({
      shell: true, value: 'echo $A', user: 'nobody',
      environment: { variables: [{ name: 'A', type: 'VALUE', value: 'a' }, { name: 'S', type: 'SECRET', secret: { type: 'REFERENCE', reference: { name: 'team/db' } } }] },
      uris: [{ value: 'https://example.com/x.tgz', extract: true, executable: false, cache: false }],
    })
    expect(t.container).toEqual({
      type: 'MESOS', mesos: { image: { type: 'DOCKER', docker: { name: 'alpine:3' }, cached: false } },
      volumes: [{ container_path: '/data', host_path: '/srv/data', mode: 'RO' }], network_infos: [{ name: 'meso' }],
    })
    expect(t.kill_policy).toEqual({ grace_period: { nanoseconds: 5e9 } })
    const argv = buildJobTask('a', 'r', 1, 'S1', parseJobSpec({ id: 'a', run: { args: ['/bin/echo', 'hi'], ucr: { image: { id: 'alpine' } } } }).run, []) as any
    expect(argv.command).toEqual({ shell: false, value: '/bin/echo', arguments: ['/bin/echo', 'hi'] })
  })
})
