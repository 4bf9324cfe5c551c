// Marathon's path ids (PathId.scala): `/team/web` names app `web` in group `/team`. A segment is lowercase letters,
// digits, dashes and dots in Marathon's pattern; a relative id is resolved against a base (the root for
// /v2/apps), `.` and `..` as in a file path. Task ids are Marathon's classic form `<app id without the leading
// slash, / as _>.<uuid>`: `_` never appears in an app id, so the app id comes back out of a task id. Pure.

/** Marathon's PathId segment pattern (ID_PATTERN in its validation), as its 422 quotes it. */
export const ID_SEGMENT_PATTERN = '^(([a-z0-9]|[a-z0-9][a-z0-9\\-]*[a-z0-9])\\.)*([a-z0-9]|[a-z0-9][a-z0-9\\-]*[a-z0-9])|(\\.|\\.\\.)$'
const SEGMENT = /^(?:(?:[a-z0-9]|[a-z0-9][a-z0-9-]*[a-z0-9])\.)*(?:[a-z0-9]|[a-z0-9][a-z0-9-]*[a-z0-9])$/

/** The id's error, or undefined when `raw` is a valid (absolute or relative) path id. */
export function pathIdError(raw: string): string | undefined {
  if (raw.length > 512) return 'length must be at most 512'
  const segments = raw.split('/').filter(s => s !== '')
  if (!segments.length) return 'Path must contain at least one path element'
  for (const s of segments) if (s !== '.' && s !== '..' && !SEGMENT.test(s)) return `must fully match regular expression '${ID_SEGMENT_PATTERN}'`
  return undefined
}

/** `raw` as an absolute canonical id (`/a/b`), relative ids resolved against `base`; undefined when `..` climbs out. */
export function canonicalPathId(raw: string, base = '/'): string | undefined {
  const out: string[] = raw.startsWith('/') ? [] : base.split('/').filter(Boolean)
  for (const s of raw.split('/').filter(Boolean)) {
    if (s === '.') continue
    if (s === '..') { if (!out.length) return undefined; out.pop(); continue }
    out.push(s)
  }
  return '/' + out.join('/')
}

/** The group holding an app (`/team/web` → `/team`; `/web` → `/`). */
export function parentOf(id: string): string {
  const i = id.lastIndexOf('/')
  return i <= 0 ? '/' : id.slice(0, i)
}

/** Whether `id` is `group` or lies under it. */
export function isUnder(id: string, group: string): boolean {
  return group === '/' || id === group || id.startsWith(group + '/')
}

/** Marathon's "safe" form of an app id in task ids and names: `/team/web` → `team_web`. */
export function safeAppId(appId: string): string {
  return appId.replace(/^\//, '').replace(/\//g, '_')
}

export function newTaskId(appId: string, uuid: string): string {
  return `${safeAppId(appId)}.${uuid}`
}

/** The app id a task id of ours names, or undefined for anything else. */
export function appIdOfTask(taskId: string): string | undefined {
  const m = /^([a-z0-9._-]+)\.([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/.exec(taskId)
  return m ? '/' + m[1]!.replace(/_/g, '/') : undefined
}
