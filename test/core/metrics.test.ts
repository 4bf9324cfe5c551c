// The metrics registry (src/core/metrics/): timers as libprocess renders them, histograms, and the Prometheus text
// format, read back with a strict parser.

import { describe, expect, test } from 'bun:test'
import { Histogram } from '../../src/core/metrics/histogram.ts'
import { escapeLabelValue, prometheusName, renderPrometheus } from '../../src/core/metrics/prometheus.ts'
import { MetricsRegistry } from '../../src/core/metrics/registry.ts'
import { percentile, Timer } from '../../src/core/metrics/timer.ts'
import { parsePrometheus } from './metrics-prometheus-parser.ts'

describe('Timer', () => {
  test('snapshot keys and values as upstream Statistics computes them (linear interpolation)', () => {
    const t = new Timer('registrar/state_store_ms', '')
    for (const v of [4, 1, 3, 2]) t.record(v)
    const out: Record<string, number> = {}
    t.snapshot(out)
    expect(Object.keys(out).sort()).toEqual(['', '/count', '/max', '/min', '/p50', '/p90', '/p95', '/p99', '/p999', '/p9999'].map(s => `registrar/state_store_ms${s}`))
    expect(out['registrar/state_store_ms']).toBe(2) // the last value
    expect(out['registrar/state_store_ms/count']).toBe(4)
    expect(out['registrar/state_store_ms/min']).toBe(1)
    expect(out['registrar/state_store_ms/max']).toBe(4)
    // sorted [1,2,3,4]: position p·3 between ranks
    expect(out['registrar/state_store_ms/p50']).toBeCloseTo(2.5, 12)
    expect(out['registrar/state_store_ms/p90']).toBeCloseTo(3.7, 12)
    expect(out['registrar/state_store_ms/p95']).toBeCloseTo(3.85, 12)
    expect(out['registrar/state_store_ms/p99']).toBeCloseTo(3.97, 12)
    expect(out['registrar/state_store_ms/p999']).toBeCloseTo(3.997, 12)
    expect(out['registrar/state_store_ms/p9999']).toBeCloseTo(3.9997, 12)
  })

  test('an empty timer reports zeros with count 0; one sample is its own percentiles', () => {
    const t = new Timer('x_ms', '')
    const empty: Record<string, number> = {}
    t.snapshot(empty)
    expect(empty['x_ms/count']).toBe(0)
    expect(empty['x_ms/p99']).toBe(0)
    t.record(7)
    const one: Record<string, number> = {}
    t.snapshot(one)
    expect(one['x_ms/p50']).toBe(7)
    expect(one['x_ms/min']).toBe(7)
  })

  test('the window keeps the newest samples only; totals count everything', () => {
    const t = new Timer('w_ms', '', 3)
    for (const v of [100, 100, 1, 2, 3]) t.record(v)
    expect([...t.sorted()]).toEqual([1, 2, 3])
    expect(t.total).toBe(5)
    expect(t.sum).toBe(206)
  })

  test('negative and non-finite samples are not latencies', () => {
    const t = new Timer('n_ms', '')
    t.record(-1)
    t.record(NaN)
    t.record(Infinity)
    expect(t.total).toBe(0)
  })

  test('time() records also when the timed function throws', () => {
    const t = new Timer('t_ms', '')
    expect(() => t.time(() => { throw new Error('boom') })).toThrow('boom')
    expect(t.total).toBe(1)
  })

  test('percentile edges', () => {
    expect(percentile([], 0.5)).toBe(0)
    expect(percentile([1, 2], 0)).toBe(1)
    expect(percentile([1, 2], 1)).toBe(2)
    expect(percentile([0, 10], 0.25)).toBe(2.5)
  })

  test('a window size that is not a positive integer is refused', () => {
    expect(() => new Timer('bad', '', 0)).toThrow('window size')
  })
})

describe('Histogram', () => {
  test('cumulative buckets, +Inf equals the count', () => {
    const h = new Histogram('x_seconds', '', [0.1, 1])
    for (const v of [0.05, 0.1, 0.5, 2]) h.observe(v)
    expect(h.buckets()).toEqual([[0.1, 2], [1, 3], [Infinity, 4]])
    expect(h.sum).toBeCloseTo(2.65, 9)
  })

  test('invalid names and bounds are refused', () => {
    expect(() => new Histogram('bad name', '')).toThrow('not a valid Prometheus metric name')
    expect(() => new Histogram('ok', '', [1, 1])).toThrow('must increase')
  })
})

describe('MetricsRegistry', () => {
  test('declared counters read 0; gauges are read at snapshot time', () => {
    const r = new MetricsRegistry()
    r.counter('a/b')
    let v = 1
    r.gauge('a/g', () => v)
    expect(r.snapshot()).toEqual({ 'a/b': 0, 'a/g': 1 })
    r.counter('a/b').inc()
    v = 5
    expect(r.snapshot()).toEqual({ 'a/b': 1, 'a/g': 5 })
  })

  test('a name keeps one kind', () => {
    const r = new MetricsRegistry()
    r.counter('x')
    expect(() => r.timer('x')).toThrow("Metric 'x' is already declared with another kind")
  })

  test('a non-finite gauge reads as 0 (JSON has no NaN)', () => {
    const r = new MetricsRegistry()
    r.gauge('g', () => NaN)
    expect(r.snapshot()).toEqual({ g: 0 })
  })
})

describe('Prometheus names', () => {
  test('plain keys', () => {
    expect(prometheusName('master/tasks_running')).toEqual({ name: 'meso_master_tasks_running', labels: [] })
    expect(prometheusName('allocator/mesos/resources/cpus/total').name).toBe('meso_allocator_mesos_resources_cpus_total')
  })

  test('names in keys become labels (roles may hold slashes; framework names are URL-decoded)', () => {
    expect(prometheusName('allocator/mesos/roles/eng/dev/shares/dominant')).toEqual({ name: 'meso_allocator_mesos_roles_shares_dominant', labels: [['role', 'eng/dev']] })
    expect(prometheusName('master/frameworks/my%20fw/f-1/calls/accept')).toEqual({
      name: 'meso_master_frameworks_calls_accept', labels: [['framework_name', 'my fw'], ['framework_id', 'f-1']],
    })
    expect(prometheusName('master/frameworks/x/f-1/roles/a/b/suppressed').labels).toEqual([['framework_name', 'x'], ['framework_id', 'f-1'], ['role', 'a/b']])
    expect(prometheusName('master/task_lost/source_master/reason_slave_removed')).toEqual({
      name: 'meso_master_task_lost', labels: [['source', 'master'], ['reason', 'slave_removed']],
    })
    expect(prometheusName('allocator/mesos/quota/roles/r/resources/cpus/guarantee')).toEqual({
      name: 'meso_allocator_mesos_quota_roles_resources_guarantee', labels: [['role', 'r'], ['resource', 'cpus']],
    })
  })

  test('label values are escaped', () => {
    expect(escapeLabelValue('a"b\\c\nd')).toBe('a\\"b\\\\c\\nd')
  })
})

describe('renderPrometheus', () => {
  function sample() {
    const r = new MetricsRegistry()
    r.counter('master/messages_kill_task', 'Kill task messages').inc(3)
    r.gauge('master/event_queue_dispatches', () => 2)
    const t = r.timer('allocator/mesos/allocation_run_ms')
    for (const v of [1, 2, 3]) t.record(v)
    r.timer('registrar/state_store_ms') // empty: quantiles NaN
    const h = r.histogram('allocator_mesos_allocation_run_seconds', 'Allocation run time')
    h.observe(0.001)
    h.observe(0.2)
    const snapshot = r.snapshot({
      'master/tasks_running': 4,
      'master/tasks_finished': 7,
      'allocator/mesos/roles/a"b/shares/dominant': 0.5,
      'allocator/mesos/roles/web/shares/dominant': 0.25,
      'master/frameworks/fw%201/id-1/calls': 9,
    })
    return { r, snapshot, text: renderPrometheus({ snapshot, registries: [r.describe()], isCounter: k => k === 'master/tasks_finished' || k.endsWith('/calls') }) }
  }

  test('parses strictly and carries the snapshot values', () => {
    const { text } = sample()
    const fams = parsePrometheus(text)
    expect(fams.get('meso_master_messages_kill_task')).toMatchObject({ type: 'counter', help: 'Kill task messages', samples: [{ value: 3 }] })
    expect(fams.get('meso_master_event_queue_dispatches')).toMatchObject({ type: 'gauge', samples: [{ value: 2 }] })
    expect(fams.get('meso_master_tasks_running')).toMatchObject({ type: 'gauge', samples: [{ value: 4 }] })
    expect(fams.get('meso_master_tasks_finished')).toMatchObject({ type: 'counter', samples: [{ value: 7 }] })
    const shares = fams.get('meso_allocator_mesos_roles_shares_dominant')!
    expect(shares.samples.map(s => [s.labels.role, s.value])).toEqual([['a"b', 0.5], ['web', 0.25]])
    expect(fams.get('meso_master_frameworks_calls')!.samples[0]).toMatchObject({ labels: { framework_name: 'fw 1', framework_id: 'id-1' }, value: 9 })
  })

  test('timers are summaries: window quantiles, cumulative sum and count; no stray snapshot keys', () => {
    const { text } = sample()
    const fams = parsePrometheus(text)
    const run = fams.get('meso_allocator_mesos_allocation_run_ms')!
    expect(run.type).toBe('summary')
    expect(run.samples.find(s => s.labels.quantile === '0.5')!.value).toBe(2)
    expect(run.samples.find(s => s.name.endsWith('_count'))!.value).toBe(3)
    expect(run.samples.find(s => s.name.endsWith('_sum'))!.value).toBe(6)
    const empty = fams.get('meso_registrar_state_store_ms')!
    expect(Number.isNaN(empty.samples.find(s => s.labels.quantile === '0.99')!.value)).toBe(true)
    expect(text).not.toContain('allocation_run_ms_count{')
    expect([...fams.keys()].some(n => n.includes('allocation_run_ms_p'))).toBe(false)
  })

  test('histograms have cumulative buckets up to +Inf', () => {
    const { text } = sample()
    const h = parsePrometheus(text).get('meso_allocator_mesos_allocation_run_seconds')!
    expect(h.type).toBe('histogram')
    expect(h.samples.find(s => s.labels.le === '+Inf')!.value).toBe(2)
    expect(h.samples.find(s => s.labels.le === '0.001')!.value).toBe(1)
    expect(h.samples.find(s => s.name.endsWith('_count'))!.value).toBe(2)
  })

  test('the parser catches what Prometheus rejects', () => {
    expect(() => parsePrometheus('x 1\n')).toThrow('sample without a TYPE')
    expect(() => parsePrometheus('# TYPE x gauge\nx{a="1} 1\n')).toThrow()
    expect(() => parsePrometheus('# TYPE x gauge\nx 1\n# TYPE y gauge\ny 1\n# TYPE x gauge\n')).toThrow('split')
    expect(() => parsePrometheus('# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n')).toThrow('cumulative')
  })
})
