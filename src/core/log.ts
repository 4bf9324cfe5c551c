// Line-oriented logging to stderr: `I1123 18:20:01.123 master] message`, glog-like so Mesos operators feel at home.
// Never pass secrets (credentials, tokens, registry auth) to these functions.

export type Level = 'debug' | 'info' | 'warn' | 'error'
const ORDER: Record<Level, number> = { debug: 0, info: 1, warn: 2, error: 3 }
const LETTER: Record<Level, string> = { debug: 'D', info: 'I', warn: 'W', error: 'E' }

let threshold: Level = (process.env.MESO_LOG_LEVEL as Level) in ORDER ? (process.env.MESO_LOG_LEVEL as Level) : 'info'
const listeners = new Set<(line: string) => void>()

export function setLogLevel(level: Level) { threshold = level }
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
    const line = `${LETTER[level]}${stamp(new Date())} ${component}] ${msg}\n`
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
