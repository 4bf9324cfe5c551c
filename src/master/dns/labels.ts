// DNS names from task, framework and agent names, by Mesos-DNS' rules (records/labels/labels.go,
// records/generator.go): lower case, letters, digits and '-' ('.' and '_' become '-', anything else is dropped),
// no '-' at either end, at most 63 characters (RFC 1123) or 24 starting with a letter (RFC 952); a framework name
// keeps its dots as separate labels. Canonical task names carry a 5-character zbase32 hash of the task id.

import { createHash } from 'node:crypto'

export type LabelSpec = (name: string) => string

function mapChars(name: string): string {
  let out = ''
  for (const c of name) {
    if (c >= 'A' && c <= 'Z') out += c.toLowerCase()
    else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) out += c
    else if (c === '-' || c === '.' || c === '_') out += '-'
  }
  return out
}

const trimLeft = (s: string, set: string) => { let i = 0; while (i < s.length && set.includes(s[i]!)) i++; return s.slice(i) }
const trimRight = (s: string, set: string) => { let i = s.length; while (i > 0 && set.includes(s[i - 1]!)) i--; return s.slice(0, i) }

/** labels.go trimCut: cut at maxlen, trim the cutsets, and refill from the rest when trimming shortened the head. */
function trimCut(label: string, maxlen: number, left: string, right: string): string {
  const trim = trimLeft(label, left)
  const size = Math.min(trim.length, maxlen)
  const head = trimRight(trim.slice(0, size), right)
  if (head.length === size) return head
  const tail = trimLeft(trim.slice(size), right)
  return tail.length ? head + tail.slice(0, Math.min(tail.length, size - head.length)) : head
}

export const rfc1123: LabelSpec = name => trimCut(mapChars(name), 63, '-', '-')
export const rfc952: LabelSpec = name => trimCut(mapChars(name), 24, '-0123456789', '-')

/** A name of one or more labels: each part between dots through `spec`, empty ones dropped (labels.DomainFrag). */
export function domainFrag(name: string, spec: LabelSpec, sep = '.'): string {
  return name.split(sep).map(spec).filter(l => l !== '').join(sep)
}

const ZBASE32 = 'ybndrfg8ejkmcpqxot1uwisza345h769'

/** generator.go hashString: the first 5 zbase32 characters of the id's SHA-1 (25 bits). */
export function taskIdHash(taskId: string): string {
  const d = createHash('sha1').update(taskId).digest()
  const bits = ((d[0]! << 24) >>> 0) + (d[1]! << 16) + (d[2]! << 8) + d[3]!
  let out = ''
  for (let i = 0; i < 5; i++) out += ZBASE32[(bits >>> (27 - 5 * i)) & 31]
  return out
}

/** generator.go slaveIDTail: the part of an agent id after its last '-', lower case (`S0` → `s0`). */
export function agentIdTail(agentId: string): string {
  const parts = agentId.split('-')
  return parts[parts.length - 1]!.toLowerCase()
}
