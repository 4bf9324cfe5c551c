// OCI/Docker layer whiteouts and how each backend applies them. In a layer tarball `dir/.wh.NAME` deletes NAME from
// the layers below and `dir/.wh..wh..opq` hides everything lower layers put in `dir`; other `.wh..wh.*` entries are
// aufs bookkeeping and mean nothing. Overlayfs wants a 0/0 character device for the first and the xattr
// `trusted.overlay.opaque=y` for the second. Pure: classification and name handling only.

export const WH_PREFIX = '.wh.'
export const OPAQUE_MARKER = '.wh..wh..opq'
export const OPAQUE_XATTR = 'trusted.overlay.opaque'

export type Whiteout =
  | { kind: 'opaque'; dir: string; marker: string }
  | { kind: 'whiteout'; path: string; marker: string }
  | { kind: 'meta'; marker: string }

/** Canonical relative member name: no leading `./` or `/`, no trailing `/`. */
export function normalizeMember(name: string): string {
  let n = name
  while (n.startsWith('./')) n = n.slice(2)
  n = n.replace(/^\/+/, '').replace(/\/+$/, '')
  return n === '.' ? '' : n
}

export function classifyWhiteout(member: string): Whiteout | undefined {
  const name = normalizeMember(member)
  const slash = name.lastIndexOf('/')
  const dir = slash < 0 ? '' : name.slice(0, slash)
  const base = name.slice(slash + 1)
  if (!base.startsWith(WH_PREFIX)) return undefined
  if (base === OPAQUE_MARKER) return { kind: 'opaque', dir, marker: name }
  if (base.startsWith(`${WH_PREFIX}${WH_PREFIX}`)) return { kind: 'meta', marker: name }
  const target = base.slice(WH_PREFIX.length)
  if (!target || target === '.' || target === '..') return { kind: 'meta', marker: name }
  return { kind: 'whiteout', path: dir ? `${dir}/${target}` : target, marker: name }
}

/** True when a relative path cannot leave the directory it is joined to. */
export function safeRelative(path: string): boolean {
  return !path.startsWith('/') && !path.split('/').some(c => c === '..')
}

/**
 * Undoes GNU tar's `--quoting-style=escape` (what `tar -v` prints): `\\`, C escapes and `\ooo` octal bytes,
 * decoded as UTF-8.
 */
export function unescapeTarName(s: string): string {
  if (!s.includes('\\')) return s
  const bytes: number[] = []
  const simple: Record<string, number> = { n: 10, t: 9, r: 13, f: 12, v: 11, b: 8, a: 7, '\\': 92, '"': 34, "'": 39, ' ': 32, '?': 63 }
  const enc = new TextEncoder()
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!
    if (c !== '\\' || i + 1 >= s.length) { bytes.push(...enc.encode(c)); continue }
    const n = s[i + 1]!
    if (/[0-7]/.test(n)) {
      let j = i + 1
      let v = 0
      while (j < s.length && j < i + 4 && /[0-7]/.test(s[j]!)) v = v * 8 + Number(s[j++])
      bytes.push(v & 0xff)
      i = j - 1
    } else if (n in simple) {
      bytes.push(simple[n]!)
      i++
    } else {
      bytes.push(92)
    }
  }
  return new TextDecoder().decode(new Uint8Array(bytes))
}

/** What a layer's whiteouts are, recorded at extraction so the copy backend need not walk the tree. */
export interface LayerWhiteouts { whiteouts: string[]; opaques: string[] }
