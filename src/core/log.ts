// Line-oriented logging to stderr: `I1123 18:20:01.123 master] message`, glog-like so Mesos operators feel at home.
// Never pass secrets (credentials, tokens, registry auth) to these functions. A message longer than
// MAX_LOG_MESSAGE is cut (docs/security-input.md): messages quote what clients sent, and a client may send 50 MB.

export type Level = 'debug' | 'info' | 'warn' | 'error'
const ORDER: Record<Level, number> = { debug: 0, info: 1, warn: 2, error: 3 }
const LETTER: Record<Level, string> = { debug: 'D', info: 'I', warn: 'W', error: 'E' }

let threshold: Level = (process.env.MESO_LOG_LEVEL as Level) in ORDER ? (process.env.MESO_LOG_LEVEL as Level) : 'info'
const listeners = new Set<(line: string) => void>()

export function setLogLevel(level: Level) { threshold = level }

/** The longest message logged whole: room for a stack trace, not for a request body. */
export const MAX_LOG_MESSAGE = 16 * 1024

/** `msg`, cut to MAX_LOG_MESSAGE characters (never inside a surrogate pair) with a note of what was left out. */
export function clipLogMessage(msg: string): string {
  if (msg.length <= MAX_LOG_MESSAGE) return msg
  let cut = MAX_LOG_MESSAGE
  const last = msg.charCodeAt(cut - 1)
  if (last >= 0xd800 && last <= 0xdbff) cut--
  return `${msg.slice(0, cut)}… [${msg.length - cut} more characters]`
}

/** Lets a daemon mirror its log into a file it serves at /master/log or /slave/log. */
export function onLogLine(fn: (line: string) => void) { listeners.add(fn); return () => listeners.delete(fn) }

function stamp(d: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0')
  return `${p(d.getMonth() + 1)}${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`
}

export interface Logger {
  debug(msg: string): void
  info(msg: string): void
  warn(msg: string): void
  error(msg: string): void
}

export function logger(component: string): Logger {
  const emit = (level: Level, msg: string) => {
    if (ORDER[level] < ORDER[threshold]) return
    const line = `${LETTER[level]}${stamp(new Date())} ${component}] ${clipLogMessage(msg)}\n`
    process.stderr.write(line)
    for (const l of listeners) l(line)
  }
  return {
    debug: m => emit('debug', m),
    info: m => emit('info', m),
    warn: m => emit('warn', m),
    error: m => emit('error', m),
  }
}
