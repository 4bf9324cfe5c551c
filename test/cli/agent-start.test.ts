// `meso agent` without oclif (src/commands/agent-start.ts): the flags it hands resolveFlags must be what oclif's
// parse gives, and anything unusual must go back to oclif.

import { describe, expect, test } from 'bun:test'
import manifestJson from '../../src/cli/manifest.generated.json' with { type: 'json' }
import type { CliManifest } from '../../src/cli/manifest.ts'
import { agentFlagsWithoutOclif } from '../../src/commands/agent-start.ts'
import { AGENT_FLAGS } from '../../src/agent/flags.ts'
import { resolveFlags } from '../../src/core/flags.ts'

const def = (manifestJson as unknown as CliManifest).commands.agent!

describe('agent flags without oclif', () => {
  test('an absent boolean stays undefined so that the table default (true) applies', () => {
    const flags = agentFlagsWithoutOclif(def, ['--master=127.0.0.1:5050', '--work_dir=/tmp/w'], {})!
    expect(flags.master).toBe('127.0.0.1:5050')
    expect(flags.work_dir).toBe('/tmp/w')
    expect('strict' in flags).toBe(false)
    const values = resolveFlags(AGENT_FLAGS, flags)
    expect(values.strict).toBe(true)
    expect(values.switch_user).toBe(true)
  })

  test('booleans given as --no-X, --X=false and in the environment are kept', () => {
    expect(agentFlagsWithoutOclif(def, ['--master=m:1', '--no-strict'], {})!.strict).toBe(false)
    expect(agentFlagsWithoutOclif(def, ['--master=m:1', '--strict=false'], {})!.strict).toBe(false)
    expect(agentFlagsWithoutOclif(def, ['--master=m:1', '--l4lb'], {})!.l4lb).toBe(true)
    expect(agentFlagsWithoutOclif(def, ['--master=m:1'], { MESOS_STRICT: 'false' })!.strict).toBe(false)
  })

  test('values come from MESOS_<NAME> when not on the command line', () => {
    expect(agentFlagsWithoutOclif(def, [], { MESOS_MASTER: '10.0.0.1:5050' })!.master).toBe('10.0.0.1:5050')
  })

  test('what oclif must answer goes back to it', () => {
    expect(agentFlagsWithoutOclif(def, ['--master=m:1', '--no_such_flag=1'], {})).toBeUndefined()
    expect(agentFlagsWithoutOclif(def, ['--master=m:1', 'extra'], {})).toBeUndefined()
    expect(agentFlagsWithoutOclif(def, ['--master=m:1', '--master=m:2'], {})).toBeUndefined()
    expect(agentFlagsWithoutOclif(def, ['--master'], {})).toBeUndefined()
    expect(agentFlagsWithoutOclif(def, ['--master=m:1'], { MESOS_WORK_DIR: '' })).toBeUndefined()
  })
})
