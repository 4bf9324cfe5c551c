// Operator calls the master and the agent answer the same way: GET_HEALTH, GET_FLAGS, GET_VERSION, GET_METRICS,
// GET/SET_LOGGING_LEVEL, LIST_FILES, READ_FILE (as upstream Mesos' src/master/http.cpp and src/slave/http.cpp both
// dispatch them; see docs/http-api.md).

import { FileError, type FileServer } from '../files.ts'
import { setLogLevel } from '../log.ts'
import { versionInfo } from '../version.ts'
import { badRequest, text } from './responses.ts'

let loggingLevel = 0
let revertTimer: ReturnType<typeof setTimeout> | undefined

export interface CommonCallContext {
  call: any
  reply: (type: string, body?: unknown) => Response
  files: FileServer
  flags: () => { name: string; value: string }[]
  metrics: () => Record<string, number>
  /** `master` or `agent`, for error messages (`Failed to validate master::Call`). */
  kind: 'master' | 'agent'
}

/** Answers a common call, or returns undefined when the call is not one of them. */
export function handleCommonCall(c: CommonCallContext): Response | undefined {
  const { call, reply } = c
  const need = (key: string) => (call[key] === undefined ? badRequest(`Failed to validate ${c.kind}::Call: Expecting '${key}' to be present`) : undefined)
  switch (call.type) {
    case 'GET_HEALTH': return reply('GET_HEALTH', { healthy: true })
    case 'GET_FLAGS': return reply('GET_FLAGS', { flags: c.flags() })
    case 'GET_VERSION': return reply('GET_VERSION', { version_info: versionInfo() })
    case 'GET_METRICS': return reply('GET_METRICS', { metrics: Object.entries(c.metrics()).map(([name, value]) => ({ name, value })) })
    case 'GET_LOGGING_LEVEL': return reply('GET_LOGGING_LEVEL', { level: loggingLevel })
    case 'SET_LOGGING_LEVEL': {
      const bad = need('set_logging_level'); if (bad) return bad
      loggingLevel = call.set_logging_level.level
      setLogLevel(loggingLevel > 0 ? 'debug' : 'info')
      clearTimeout(revertTimer)
      // glog-style: the level reverts after the given duration.
      revertTimer = setTimeout(() => { loggingLevel = 0; setLogLevel('info') }, Math.min((call.set_logging_level.duration?.nanoseconds ?? 0) / 1e6, 2 ** 31 - 1))
      return new Response(null, { status: 202 })
    }
    case 'LIST_FILES': {
      const bad = need('list_files'); if (bad) return bad
      try { return reply('LIST_FILES', { file_infos: c.files.browse(call.list_files.path) }) } catch (err) { return fileError(err) }
    }
    case 'READ_FILE': {
      const bad = need('read_file'); if (bad) return bad
      try {
        const r = c.files.read(call.read_file.path, call.read_file.offset, call.read_file.length)
        return reply('READ_FILE', { size: r.size, data: Buffer.from(r.data).toString('base64') })
      } catch (err) { return fileError(err) }
    }
  }
  return undefined
}

function fileError(err: unknown): Response {
  if (err instanceof FileError) return text(err.status, err.message)
  throw err
}
