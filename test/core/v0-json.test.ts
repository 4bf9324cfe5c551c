// The v0 JSON writer (src/core/json/v0-json.ts): declared doubles print as rapidjson prints them, everything else
// exactly as JSON.stringify does.

import { describe, expect, test } from 'bun:test'
import {
  arrayOf, dictOf, doubleText, DOUBLE, messageOf, NonFiniteDouble, objectOf, PLAIN, RESOURCES, v0Writer,
  writeMetricsSnapshot, writeVersion,
} from '../../src/core/json/v0-json.ts'

describe('doubles', () => {
  test('an integral double keeps a fraction; others print as the shortest text that reads back', () => {
    expect(doubleText(1)).toBe('1.0')
    expect(doubleText(0)).toBe('0.0')
    expect(doubleText(-3)).toBe('-3.0')
    expect(doubleText(0.5)).toBe('0.5')
    expect(doubleText(0.1 + 0.2)).toBe('0.30000000000000004')
    expect(doubleText(1700000000.25)).toBe('1700000000.25')
    expect(doubleText(1700000000)).toBe('1700000000.0')
    expect(doubleText(2 ** 53 + 2)).toBe('9007199254740994.0')
    expect(doubleText(1e20)).toBe('100000000000000000000.0')
  })

  test('exponents as rapidjson writes them (no "+"), negative zero keeps its sign', () => {
    expect(doubleText(1e21)).toBe('1e21')
    expect(doubleText(1.5e300)).toBe('1.5e300')
    expect(doubleText(-2e25)).toBe('-2e25')
    expect(doubleText(1e-7)).toBe('1e-7')
    expect(doubleText(0.000001)).toBe('0.000001')
    expect(doubleText(-0)).toBe('-0.0')
  })

  test('inside arrays, maps and objects (the writers inline whole doubles) as doubleText writes them', () => {
    const values = [0, -0, 1, -3, 1023, 1024, 0.5, 2 ** 31, -(2 ** 31) - 1, 2 ** 53 + 2, 1e21, -1e22, 1e-7, 123.456]
    const texts = values.map(doubleText)
    expect(v0Writer(arrayOf(DOUBLE))(values)).toBe(`[${texts.join(',')}]`)
    expect(v0Writer(dictOf(DOUBLE))(Object.fromEntries(values.map((v, i) => [`k${i}`, v]))))
      .toBe(`{${texts.map((t, i) => `"k${i}":${t}`).join(',')}}`)
    const fields = Object.fromEntries(values.map((_, i) => [`k${i}`, DOUBLE]))
    expect(v0Writer(objectOf(fields))(Object.fromEntries(values.map((v, i) => [`k${i}`, v]))))
      .toBe(`{${texts.map((t, i) => `"k${i}":${t}`).join(',')}}`)
  })

  test('NaN and the infinities are refused, naming where they are', () => {
    expect(() => doubleText(NaN)).toThrow(NonFiniteDouble)
    expect(() => doubleText(Infinity)).toThrow(NonFiniteDouble)
    const write = v0Writer(objectOf({ slaves: arrayOf(objectOf({ resources: RESOURCES })) }))
    const doc = { slaves: [{ resources: { cpus: 1 } }, { id: 'a', resources: { mem: 2, cpus: -Infinity } }] }
    expect(() => write(doc)).toThrow("v0 JSON: -Infinity at 'slaves[1].resources.cpus' has no JSON form (Mesos refuses it as well)")
    expect(() => v0Writer(DOUBLE)(NaN)).toThrow("NaN at '(top level)'")
    // A plain (integer) field is not checked here: JSON.stringify's null, as before.
    expect(v0Writer(objectOf({}))({ count: NaN })).toBe('{"count":null}')
  })

  test('only declared keys are doubles: integers elsewhere stay integers', () => {
    const write = v0Writer(objectOf({ registered_time: DOUBLE, resources: RESOURCES }))
    const text = write({ id: 'a1', port: 5051, registered_time: 1700000000, resources: { cpus: 4, mem: 1024, ports: '[31000-32000]' }, pid: 7, active: true })
    expect(text).toBe('{"id":"a1","port":5051,"registered_time":1700000000.0,"resources":{"cpus":4.0,"mem":1024.0,"ports":"[31000-32000]"},"pid":7,"active":true}')
  })
})

describe('everything else as JSON.stringify writes it', () => {
  const SHAPE = objectOf({ d: DOUBLE, list: arrayOf(arrayOf(DOUBLE)), nested: objectOf({ r: RESOURCES }), m: dictOf(RESOURCES) })
  const write = v0Writer(SHAPE)

  test('strings with escapes, unicode and lone surrogates', () => {
    const strings = ['plain', 'quote " and \\ backslash', 'tab\tnew\nline\r\u0000\u001f', 'é ü ß 日本', '😀 pair', 'lone \ud800 high', 'lone \udc00 low', '\u2028\u2029', '</script>', '']
    for (const s of strings) {
      expect(write({ s, d: 1 })).toBe(`{"s":${JSON.stringify(s)},"d":1.0}`)
      // As keys of a dict and as values of a resource map (a set or ranges).
      expect(write({ m: { [s]: { [s]: s } } })).toBe(`{"m":{${JSON.stringify(s)}:{${JSON.stringify(s)}:${JSON.stringify(s)}}}}`)
    }
  })

  test('nested arrays, null, undefined and functions follow JSON.stringify', () => {
    expect(write({ list: [[1, 2.5], [], [null as unknown as number]], d: null })).toBe('{"list":[[1.0,2.5],[],[null]],"d":null}')
    expect(write({ a: undefined, f: () => 1, d: undefined, list: [[undefined as unknown as number]], b: [undefined, () => 1] }))
      .toBe('{"list":[[null]],"b":[null,null]}')
    expect(write(null)).toBe('null')
    expect(write('x')).toBe('"x"')
    // A declared object that is not one is written as it is.
    expect(write({ nested: 'text', m: [1, 2] })).toBe('{"nested":"text","m":[1,2]}')
  })

  test('big and odd numbers in plain fields', () => {
    const doc = { max: Number.MAX_SAFE_INTEGER, big: 2 ** 64, small: 5e-324, neg: -0, exp: 1e21, frac: 0.1 }
    expect(write(doc)).toBe(JSON.stringify(doc))
  })

  test('parses back to the same values as JSON.stringify, for random documents', () => {
    let seed = 7
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
    const value = (depth: number): unknown => {
      const r = rand()
      if (depth > 3 || r < 0.3) return Math.floor(rand() * 1e6) / (rand() < 0.5 ? 1 : 8)
      if (r < 0.5) return String.fromCharCode(...Array.from({ length: 6 }, () => Math.floor(rand() * 0x3000)))
      if (r < 0.6) return rand() < 0.5
      if (r < 0.8) return Array.from({ length: Math.floor(rand() * 4) }, () => value(depth + 1))
      return Object.fromEntries(Array.from({ length: Math.floor(rand() * 4) }, (_, i) => [['d', 'list', 'nested', 'm', `k${i}`][Math.floor(rand() * 5)]!, value(depth + 1)]))
    }
    for (let i = 0; i < 300; i++) {
      const doc = value(0)
      let text: string
      try {
        text = write(doc)
      } catch (e) {
        // A declared double that is not finite cannot occur: every number above is finite.
        throw new Error(`${(e as Error).message} in ${JSON.stringify(doc)}`)
      }
      expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(doc)))
    }
  })

  test('key order is the object\'s own', () => {
    expect(write({ z: 1, d: 2, a: 3 })).toBe('{"z":1,"d":2.0,"a":3}')
  })

  test('maps of one kind after another: keys that change place, the empty key', () => {
    const maps = v0Writer(arrayOf(RESOURCES))
    expect(maps([{ '': 1 }, { cpus: 1, mem: 2 }, { mem: 3, cpus: 4 }, { cpus: 5 }, {}, { '': 6, cpus: 7 }]))
      .toBe('[{"":1.0},{"cpus":1.0,"mem":2.0},{"mem":3.0,"cpus":4.0},{"cpus":5.0},{},{"":6.0,"cpus":7.0}]')
    const wide = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`r${i}`, i]))
    expect(maps([wide, wide])).toBe(JSON.stringify([wide, wide]).replace(/:(\d+)/g, ':$1.0'))
  })

  test('shaped keys in any order, absent or undefined, beside strings that look like markers', () => {
    const shape = objectOf({ a: DOUBLE, b: RESOURCES, c: arrayOf(DOUBLE) })
    const write = v0Writer(shape)
    expect(write({ c: [1], x: '\u0000', b: { cpus: 1 }, y: '"\\u0000"', a: 2 })).toBe('{"c":[1.0],"x":"\\u0000","b":{"cpus":1.0},"y":"\\"\\\\u0000\\"","a":2.0}')
    expect(write({ a: undefined, b: undefined, z: 1 })).toBe('{"z":1}')
    expect(write({})).toBe('{}')
    expect(write({ a: 1 })).toBe('{"a":1.0}')
  })

  test('an object with more shaped keys than markers can name is written key by key, the same way', () => {
    const fields = Object.fromEntries(Array.from({ length: 70 }, (_, i) => [`d${i}`, DOUBLE]))
    const doc = Object.fromEntries([['id', 'x'], ...Array.from({ length: 70 }, (_, i) => [`d${69 - i}`, i]), ['n', 3]])
    const text = v0Writer(objectOf(fields))(doc)
    expect(text).toStartWith('{"id":"x","d69":0.0,"d68":1.0,')
    expect(text).toEndWith(',"d0":69.0,"n":3}')
    expect(JSON.parse(text)).toEqual(doc)
  })

  test('PLAIN is JSON.stringify', () => {
    expect(v0Writer(PLAIN)({ a: [1, { b: 2 }] })).toBe('{"a":[1,{"b":2}]}')
  })
})

describe('protobuf messages (JSON::Protobuf upstream)', () => {
  test('double fields take a fraction, integers do not, empty repeated fields are left out', () => {
    const write = v0Writer(messageOf('mesos.v1.HealthCheck'))
    const hc = { type: 'HTTP', delay_seconds: 15, interval_seconds: 10, timeout_seconds: 20, consecutive_failures: 3, grace_period_seconds: 0, http: { port: 8080, path: '/ok', statuses: [] } }
    expect(write(hc)).toBe('{"type":"HTTP","delay_seconds":15.0,"interval_seconds":10.0,"timeout_seconds":20.0,"consecutive_failures":3,"grace_period_seconds":0.0,"http":{"port":8080,"path":"/ok"}}')
  })

  test('a resource: the scalar value is a double, ranges are integers', () => {
    const write = v0Writer(arrayOf(messageOf('mesos.v1.Resource')))
    const list = [
      { name: 'cpus', type: 'SCALAR', scalar: { value: 2 }, role: '*' },
      { name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 31000, end: 32000 }] }, role: '*' },
    ]
    expect(write(list)).toBe('[{"name":"cpus","type":"SCALAR","scalar":{"value":2.0},"role":"*"},{"name":"ports","type":"RANGES","ranges":{"range":[{"begin":31000,"end":32000}]},"role":"*"}]')
  })

  test('keys the schema does not know are kept as they are', () => {
    const write = v0Writer(messageOf('mesos.v1.ResourceStatistics'))
    expect(write({ timestamp: 1700000000, cpus_limit: 1, mem_limit_bytes: 134217728, processes: 2, gpus_utilization: 3 }))
      .toBe('{"timestamp":1700000000.0,"cpus_limit":1.0,"mem_limit_bytes":134217728,"processes":2,"gpus_utilization":3}')
  })

  test('a message that holds itself (ContainerID.parent)', () => {
    const write = v0Writer(messageOf('mesos.v1.ContainerStatus'))
    const status = { container_id: { value: 'c2', parent: { value: 'c1', parent: { value: 'c0' } } }, network_infos: [], executor_pid: 42 }
    expect(write(status)).toBe('{"container_id":{"value":"c2","parent":{"value":"c1","parent":{"value":"c0"}}},"executor_pid":42}')
  })
})

test('the shared answers: metrics are all doubles, /version\'s build_time is one', () => {
  expect(writeMetricsSnapshot({ 'master/elected': 1, 'master/uptime_secs': 12.5, 'master/tasks_running': 0 }))
    .toBe('{"master/elected":1.0,"master/uptime_secs":12.5,"master/tasks_running":0.0}')
  expect(writeVersion({ version: '1.12.0', build_time: 1795392000, build_user: 'meso' }))
    .toBe('{"version":"1.12.0","build_time":1795392000.0,"build_user":"meso"}')
})
