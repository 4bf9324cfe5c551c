// Metronome job specs: its own example JSON is read unchanged with its defaults; bad specs get Metronome's 422
// details.

import { describe, expect, test } from 'bun:test'
import { parseJobSpec, parseSchedule, SpecError, type ValidationDetail } from '../../../src/master/jobs/job-spec.ts'

/** api/src/main/resources/public/api/v1/examples/job.json in dcos/metronome. */
const METRONOME_EXAMPLE = {
  description: 'Example Application', id: 'prod.example.app', labels: { location: 'olympus', owner: 'zeus' }, schedules: [],
  run: {
    artifacts: [{ uri: 'http://foo.example.com/application.zip', extract: true, executable: true, cache: false }],
    cmd: 'nuke --dry --master local', cpus: 1.5, mem: 32, disk: 128, docker: { image: 'foo/bla:test' },
    env: { MON: 'test', CONNECT: 'direct' }, maxLaunchDelay: 3600, networks: [{ name: 'calico', mode: 'container' }],
    placement: { constraints: [{ attribute: 'rack', operator: 'EQ', value: 'rack-2' }] },
    restart: { activeDeadlineSeconds: 120, policy: 'NEVER' }, user: 'root',
    volumes: [{ containerPath: '/mnt/test', hostPath: '/etc/guest', mode: 'RW' }],
  },
}

function details(body: unknown): ValidationDetail[] {
  try { parseJobSpec(body) } catch (err) {
    expect(err).toBeInstanceOf(SpecError)
    expect((err as SpecError).body().message).toBe('Object is not valid')
    return (err as SpecError).details
  }
  throw new Error('expected a SpecError')
}

describe('job specs', () => {
  test("Metronome's example job is read as given", () => {
    const spec = parseJobSpec(METRONOME_EXAMPLE)
    expect(spec.id).toBe('prod.example.app')
    expect(spec.run.docker).toEqual({ image: 'foo/bla:test' })
    expect(spec.run.artifacts).toEqual(METRONOME_EXAMPLE.run.artifacts)
    expect(spec.run.placement.constraints).toEqual([{ attribute: 'rack', operator: 'EQ', value: 'rack-2' }])
    expect(spec.run.restart).toEqual({ policy: 'NEVER', activeDeadlineSeconds: 120 })
    expect(spec.run.volumes).toEqual([{ containerPath: '/mnt/test', hostPath: '/etc/guest', mode: 'RW' }])
  })

  test("Metronome's defaults fill what is left out", () => {
    const spec = parseJobSpec({ id: 'a', run: { cmd: 'true', cpus: 0.1, mem: 16, disk: 0 } })
    expect(spec).toEqual({
      id: 'a', dependencies: [], labels: {}, schedules: [],
      run: { cmd: 'true', cpus: 0.1, mem: 16, disk: 0, gpus: 0, env: {}, placement: { constraints: [] }, artifacts: [], maxLaunchDelay: 3600, volumes: [], restart: { policy: 'NEVER' }, secrets: {}, networks: [] },
    })
    expect(parseJobSpec({ id: 'b', run: { cmd: 'x' } }).run).toMatchObject({ cpus: 1, mem: 128, disk: 0 })
  })

  test('secrets: env and volumes reference them; every one defined and used', () => {
    const spec = parseJobSpec({ id: 'job-env-secret', run: { cpus: 0.01, mem: 32, disk: 0, cmd: 'echo', env: { SECRET_ENV: { secret: 'secret1' } }, secrets: { secret1: { source: '/mysecret' } } } })
    expect(spec.run.env).toEqual({ SECRET_ENV: { secret: 'secret1' } })
    expect(details({ id: 'x', run: { cmd: 'echo', env: { A: { secret: 's' } } } })).toEqual([{ path: '/run/secrets', errors: ['The following secrets are referenced, but undefined: s. Please add them to the secrets field.'] }])
  })

  test('bad ids, bad values, nothing to run: 422 details naming the paths', () => {
    expect(details({ id: 'Bad_Id', run: { cmd: 'x' } })[0]!.path).toBe('/id')
    expect(details({ id: '-a', run: { cmd: 'x' } })[0]!.path).toBe('/id')
    expect(details({ id: 'a', run: {} })).toEqual([{ path: '/run', errors: ['Cmd, Docker or UCR image must be specified'] }])
    expect(details({ id: 'a' })).toEqual([{ path: '/run', errors: ['error.path.missing'] }])
    expect(details({ id: 'a', run: { cmd: 'x', cpus: 'one' } })).toEqual([{ path: '/run/cpus', errors: ['error.expected.jsnumber'] }])
    expect(details({ id: 'a', run: { cmd: 'x', restart: { policy: 'ALWAYS' } } })[0]!.errors[0]).toContain('is not a valid restart policy')
    expect(details({ id: 'a', run: { cmd: 'x', bogus: 1 } })[0]!.path).toBe('/run/bogus')
    expect(details({ id: 'a', run: { cmd: 'x', placement: { constraints: [{ attribute: 'rack', operator: 'NEAR', value: 'x' }] } } })[0]!.path).toBe('/run/placement/constraints(0)/operator')
    expect(details({ id: 'a', run: { docker: { image: 'x' }, gpus: 1 } })).toEqual([{ path: '/run/gpus', errors: ['GPUs are not supported with Docker'] }])
    expect(details({ id: 'a', run: { docker: { image: 'x' }, ucr: { image: { id: 'y' } } } })[0]!.errors).toEqual(['Either Docker or UCR should be provided, but not both'])
    expect(details({ id: 'a', run: { cmd: 'x', docker: { image: 'x', parameters: [{ key: 'k', value: 'v' }] } } })[0]!.path).toBe('/run/docker/parameters')
  })

  test('schedules: bad cron and unknown time zones are 422 with details', () => {
    const d = details({ id: 'a', run: { cmd: 'x' }, schedules: [{ id: 'every', cron: '61 * * * *', timezone: 'Mars/Olympus' }] })
    expect(d).toEqual([
      { path: '/schedules(0)/cron', errors: ['Can not read cron expression "61 * * * *": minute value 61 is outside 0-59'] },
      { path: '/schedules(0)/timezone', errors: ['No time zone found with this id: "Mars/Olympus"'] },
    ])
    expect(details({ id: 'a', run: { cmd: 'x' }, schedules: [{ id: 's1', cron: '* * * * *' }, { id: 's2', cron: '* * * * *' }] })).toEqual([{ path: '/schedules', errors: ['Only one schedule supported at the moment'] }])
    expect(details({ id: 'a', run: { cmd: 'x' }, dependencies: [{ id: 'b' }], schedules: [{ id: 's', cron: '* * * * *' }] })).toEqual([{ path: '/', errors: ['Jobs may not have both dependencies and schedules specified'] }])
  })

  test("a schedule alone, with Metronome's defaults", () => {
    expect(parseSchedule({ id: 'everyminute', cron: '* * * * *', concurrencyPolicy: 'ALLOW', enabled: true, startingDeadlineSeconds: 60, timezone: 'America/Chicago' }))
      .toEqual({ id: 'everyminute', cron: '* * * * *', concurrencyPolicy: 'ALLOW', enabled: true, startingDeadlineSeconds: 60, timezone: 'America/Chicago' })
    expect(parseSchedule({ id: 'nightly', cron: '0 3 * * *' })).toEqual({ id: 'nightly', cron: '0 3 * * *', timezone: 'UTC', startingDeadlineSeconds: 900, concurrencyPolicy: 'ALLOW', enabled: true })
    expect(() => parseSchedule({ id: 'x', cron: '* * * * *', concurrencyPolicy: 'REPLACE' })).toThrow(SpecError)
    expect(() => parseSchedule({ id: 'x', cron: '* * * * *', startingDeadlineSeconds: 0 })).toThrow(SpecError)
  })
})
