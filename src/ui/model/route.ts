// Deep links: the page is in the URL's hash (`#/tasks/<framework id>/<task id>`), so every page can be bookmarked
// and the master needs only serve `/`. Pure.

export type Route =
  | { page: 'overview' }
  | { page: 'agents' }
  | { page: 'agent'; id: string }
  | { page: 'frameworks' }
  | { page: 'framework'; id: string }
  | { page: 'tasks'; search?: string }
  | { page: 'task'; frameworkId: string; taskId: string; file?: string }
  | { page: 'jobs' }
  | { page: 'job'; id: string }
  | { page: 'services' }
  | { page: 'service'; id: string }
  | { page: 'not-found'; path: string }

export function parseRoute(hash: string): Route {
  const [path = '', query = ''] = hash.replace(/^#/, '').split('?', 2)
  const parts = path.split('/').filter(Boolean).map(p => { try { return decodeURIComponent(p) } catch { return p } })
  const params = new URLSearchParams(query)
  const [head, a, b] = parts
  if (!head) return { page: 'overview' }
  if (head === 'agents') return a ? { page: 'agent', id: a } : { page: 'agents' }
  if (head === 'frameworks') return a ? { page: 'framework', id: a } : { page: 'frameworks' }
  if (head === 'jobs') return a ? { page: 'job', id: a } : { page: 'jobs' }
  // A service's id is a path (`/prod/web`): the rest of the hash, `#/services/prod/web`.
  if (head === 'services') return a ? { page: 'service', id: `/${parts.slice(1).join('/')}` } : { page: 'services' }
  if (head === 'tasks') {
    if (a && b) return { page: 'task', frameworkId: a, taskId: b, file: params.get('file') ?? undefined }
    if (!a) return { page: 'tasks', search: params.get('q') ?? undefined }
  }
  return { page: 'not-found', path }
}

export function routeHash(r: Route): string {
  const e = encodeURIComponent
  switch (r.page) {
    case 'overview': return '#/'
    case 'agents': return '#/agents'
    case 'agent': return `#/agents/${e(r.id)}`
    case 'frameworks': return '#/frameworks'
    case 'framework': return `#/frameworks/${e(r.id)}`
    case 'tasks': return r.search ? `#/tasks?q=${e(r.search)}` : '#/tasks'
    case 'task': return `#/tasks/${e(r.frameworkId)}/${e(r.taskId)}${r.file ? `?file=${e(r.file)}` : ''}`
    case 'jobs': return '#/jobs'
    case 'job': return `#/jobs/${e(r.id)}`
    case 'services': return '#/services'
    case 'service': return `#/services/${r.id.split('/').filter(Boolean).map(e).join('/')}`
    case 'not-found': return `#/${r.path}`
  }
}
