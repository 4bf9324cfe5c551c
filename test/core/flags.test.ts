import { describe, expect, test } from 'bun:test'
import { formatDuration, parseDuration } from '../../src/core/duration.ts'
import { flagStrings, normalizeArgv, resolveFlags, type FlagSpec } from '../../src/core/flags.ts'

describe('durations', () => {
  test('stout and short forms', () => {
    expect(parseDuration('15secs')).toBe(15000)
    expect(parseDuration('10mins')).toBe(600000)
    expect(parseDuration('1.5hrs')).toBe(5400000)
    expect(parseDuration('2weeks')).toBe(1209600000)
    expect(parseDuration('100ms')).toBe(100)
    expect(parseDuration('5')).toBe(5000)
    expect(() => parseDuration('soon')).toThrow('invalid duration')
    expect(formatDuration(5000)).toBe('5secs')
    expect(formatDuration(1500)).toBe('1.5secs')
    expect(formatDuration(900000)).toBe('15mins')
  })
})

describe('daemon flags', () => {
  const specs: FlagSpec[] = [
    { name: 'strict', type: 'bool', default: true, description: '' },
    { name: 'port', type: 'int', default: 5050, description: '' },
    { name: 'allocation_interval', type: 'duration', default: '1secs', description: '' },
  ]
  test('--name=false becomes --no-name; -- stops rewriting', () => {
    expect(normalizeArgv(['--strict=false', '--port=1', '--', '--strict=true'], specs)).toEqual(['--no-strict', '--port=1', '--', '--strict=true'])
    expect(normalizeArgv(['--strict=true'], specs)).toEqual(['--strict'])
  })
  test('typed values, defaults and GET_FLAGS strings', () => {
    const v = resolveFlags(specs, { port: '6000' })
    expect(v).toEqual({ strict: true, port: 6000, allocation_interval: 1000 })
    expect(flagStrings(specs, v)).toEqual([{ name: 'strict', value: 'true' }, { name: 'port', value: '6000' }, { name: 'allocation_interval', value: '1secs' }])
    expect(() => resolveFlags(specs, { port: 'x' })).toThrow('--port must be an integer')
  })
})
