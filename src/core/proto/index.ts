// Loads the embedded .proto definitions once (they are imported as text, so they live inside the compiled binary).

import mesos from './defs/mesos.proto' with { type: 'text' }
import scheduler from './defs/scheduler.proto' with { type: 'text' }
import executor from './defs/executor.proto' with { type: 'text' }
import master from './defs/master.proto' with { type: 'text' }
import agent from './defs/agent.proto' with { type: 'text' }
import quota from './defs/quota.proto' with { type: 'text' }
import maintenance from './defs/maintenance.proto' with { type: 'text' }
import allocator from './defs/allocator.proto' with { type: 'text' }
import google from './defs/google.proto' with { type: 'text' }
import { Schema, type MessageType } from './schema.ts'

let schema: Schema | undefined

export function protos(): Schema {
  if (!schema) {
    const s = new Schema()
    const texts: [string, string][] = [
      ['mesos.proto', mesos], ['scheduler.proto', scheduler], ['executor.proto', executor], ['master.proto', master],
      ['agent.proto', agent], ['quota.proto', quota], ['maintenance.proto', maintenance],
      ['allocator.proto', allocator], ['google.proto', google],
    ]
    for (const [name, text] of texts) s.add(text, name)
    schema = s.link()
  }
  return schema
}

export const message = (fullName: string): MessageType => protos().message(fullName)
