// `WWW-Authenticate` parsing (RFC 7235) for registry auth: `Basic realm="…"` and
// `Bearer realm="…",service="…",scope="…"`. Several challenges may share one header (fetch joins repeated headers
// with ", "), quoted values may contain commas and escaped quotes. Pure.

export interface Challenge {
  /** Lower-cased scheme: `basic`, `bearer`, … */
  scheme: string
  params: Record<string, string>
}

export function parseChallenges(header: string | null | undefined): Challenge[] {
  const out: Challenge[] = []
  if (!header) return out
  const s = header
  let i = 0
  const skipWs = () => { while (i < s.length && (s[i] === ' ' || s[i] === '\t')) i++ }
  const token = () => {
    const start = i
    while (i < s.length && /[!#$%&'*+\-.^_`|~0-9A-Za-z]/.test(s[i]!)) i++
    return s.slice(start, i)
  }
  let current: Challenge | undefined
  while (i < s.length) {
    skipWs()
    if (s[i] === ',') { i++; continue }
    const start = i
    const name = token()
    if (!name) { i++; continue }
    skipWs()
    if (s[i] === '=' && current) {
      // auth-param: name=value or name="quoted value"
      i++
      skipWs()
      let value = ''
      if (s[i] === '"') {
        i++
        while (i < s.length && s[i] !== '"') {
          if (s[i] === '\\' && i + 1 < s.length) i++
          value += s[i++]
        }
        i++
      } else {
        const vs = i
        while (i < s.length && s[i] !== ',') i++
        value = s.slice(vs, i).trim()
      }
      current.params[name.toLowerCase()] = value
      continue
    }
    if (s[i] === '=' && !current) { i = start + name.length + 1; continue }
    // A new challenge: a scheme token (optionally followed by a token68, which registries do not use).
    current = { scheme: name.toLowerCase(), params: {} }
    out.push(current)
  }
  return out
}

/** The Bearer challenge, if any, else the Basic one. */
export function preferredChallenge(challenges: Challenge[]): Challenge | undefined {
  return challenges.find(c => c.scheme === 'bearer') ?? challenges.find(c => c.scheme === 'basic')
}
