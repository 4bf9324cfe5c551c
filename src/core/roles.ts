// Role names as Mesos validates them: `*` or a `/`-separated path; no empty, `.`, `..` or `*` components, no
// component starting with `-`, no whitespace or control characters.

export function roleError(role: string): string | undefined {
  if (role === '*') return undefined
  if (!role) return 'Empty role name is invalid'
  if (role.startsWith('/') || role.endsWith('/')) return `Role '${role}' cannot start or end with a slash`
  if (/[\t\n\v\f\r \x7f]/.test(role)) return `Role '${role}' cannot include whitespace or DEL characters`
  for (const c of role.split('/')) {
    if (c === '') return `Role '${role}' cannot contain two adjacent slashes`
    if (c === '.' || c === '..' || c === '*') return `Role '${role}' cannot include '${c}' as a path component`
    if (c.startsWith('-')) return `Role component '${c}' is invalid because it starts with a dash`
  }
  return undefined
}
