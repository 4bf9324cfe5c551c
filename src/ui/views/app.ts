// The page: header with navigation and the connection's state, the routed page, sign-in when the master asks.

import { useEffect, useState } from 'preact/hooks'
import { onAuthRequired, saveCredentials, savedCredentials } from '../api/http.ts'
import { parseRoute, type Route } from '../model/route.ts'
import { AgentPage, Agents } from './agents.ts'
import { FrameworkPage, Frameworks } from './frameworks.ts'
import { html } from './html.ts'
import { JobPage, Jobs } from './jobs.ts'
import { Login } from './login.ts'
import { Overview } from './overview.ts'
import { ServicePage, Services } from './services.ts'
import { servicesStore } from './services-store.ts'
import { store, useStore } from './store.ts'
import { TaskPage } from './task.ts'
import { Tasks } from './tasks.ts'

const NAV: [Route['page'], string, string][] = [['overview', 'Overview', '#/'], ['agents', 'Agents', '#/agents'], ['frameworks', 'Frameworks', '#/frameworks'], ['tasks', 'Tasks', '#/tasks'], ['services', 'Services', '#/services'], ['jobs', 'Jobs', '#/jobs']]
const section = (p: Route['page']) => (p === 'agent' ? 'agents' : p === 'framework' ? 'frameworks' : p === 'task' ? 'tasks' : p === 'job' ? 'jobs' : p === 'service' ? 'services' : p)

function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash))
  useEffect(() => {
    const on = () => { setRoute(parseRoute(location.hash)); window.scrollTo(0, 0) }
    addEventListener('hashchange', on)
    return () => removeEventListener('hashchange', on)
  }, [])
  return route
}

function ConnectionState() {
  const { connection } = useStore()
  const [label, tone] = connection.state === 'live' ? ['live', 'ok']
    : connection.state === 'connecting' ? ['connecting…', 'busy']
      : connection.state === 'retrying' ? [`reconnecting in ${connection.inSeconds}s`, 'bad'] : ['signed out', 'bad']
  return html`<span class=${`conn ${tone}`} role="status" title=${connection.state === 'retrying' ? connection.error : ''}>${label}</span>`
}

export function App() {
  const route = useRoute()
  const { connection } = useStore()
  const [needsLogin, setNeedsLogin] = useState(false)
  const [signedIn, setSignedIn] = useState(() => !!savedCredentials())
  useEffect(() => onAuthRequired(() => setNeedsLogin(true)), [])
  useEffect(() => {
    // `/` focuses the page's search box, as in most consoles; not while typing in a field.
    const onKey = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement
      if (e.key !== '/' || e.ctrlKey || e.metaKey || e.altKey || t.closest('input, textarea, select')) return
      const search = document.getElementById('search')
      if (search) { e.preventDefault(); search.focus() } else if (!location.hash.startsWith('#/tasks')) { e.preventDefault(); location.hash = '#/tasks' }
    }
    addEventListener('keydown', onKey)
    return () => removeEventListener('keydown', onKey)
  }, [])
  const signOut = () => { saveCredentials(undefined); setSignedIn(false); location.reload() }
  const login = connection.state === 'signed-out' || needsLogin
  const page = login
    ? html`<${Login} reason=${connection.state === 'signed-out' ? 'This master asks for credentials.' : 'Reading sandboxes on this cluster needs credentials.'}
        onSignedIn=${() => { setNeedsLogin(false); setSignedIn(true); store.retry(); servicesStore.start() }} />`
    : pageFor(route)
  return html`<button type="button" class="skip" onClick=${() => document.getElementById('main')?.focus()}>Skip to content</button>
  <header class="top">
    <a class="brand" href="#/" aria-label="meso overview"><img src="/assets/favicon.svg" alt="" width="22" height="22" /> meso</a>
    <nav aria-label="Sections">${NAV.map(([p, label, href]) => html`<a href=${href} aria-current=${section(route.page) === p ? 'page' : undefined}>${label}</a>`)}</nav>
    <${ConnectionState} />
    ${signedIn ? html`<button type="button" class="link" onClick=${signOut}>sign out</button>` : null}
  </header>
  <main id="main" tabindex="-1">${page}</main>`
}

function pageFor(r: Route) {
  switch (r.page) {
    case 'overview': return html`<${Overview} />`
    case 'agents': return html`<${Agents} />`
    case 'agent': return html`<${AgentPage} id=${r.id} />`
    case 'frameworks': return html`<${Frameworks} />`
    case 'framework': return html`<${FrameworkPage} id=${r.id} />`
    case 'tasks': return html`<${Tasks} search=${r.search} />`
    case 'task': return html`<${TaskPage} key=${`${r.frameworkId}/${r.taskId}`} frameworkId=${r.frameworkId} taskId=${r.taskId} file=${r.file} />`
    case 'jobs': return html`<${Jobs} />`
    case 'job': return html`<${JobPage} key=${r.id} id=${r.id} />`
    case 'services': return html`<${Services} />`
    case 'service': return html`<${ServicePage} key=${r.id} id=${r.id} />`
    case 'not-found': return html`<section class="page"><h1>Not found</h1><p>No page at <code>#/${r.path}</code>. <a href="#/">Overview</a></p></section>`
  }
}
