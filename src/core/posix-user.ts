// Users from /etc/passwd (os.userInfo() answers "unknown" in some sandboxes).

import { readFileSync } from 'node:fs'

export interface PosixUser { name: string; uid: number; gid: number; home: string }

function entries(): PosixUser[] {
  let passwd = ''
  try { passwd = readFileSync('/etc/passwd', 'utf8') } catch { return [] }
  return passwd.split('\n').filter(Boolean).map(line => {
    const f = line.split(':')
    return { name: f[0]!, uid: Number(f[2]), gid: Number(f[3]), home: f[5] ?? '/' }
  })
}

export const lookupUser = (name: string) => entries().find(u => u.name === name)
export const lookupUid = (uid: number) => entries().find(u => u.uid === uid)

/** The name of the user running this process. */
export function currentUserName(): string {
  const uid = process.getuid?.() ?? 0
  return lookupUid(uid)?.name ?? process.env.USER ?? (uid === 0 ? 'root' : String(uid))
}
