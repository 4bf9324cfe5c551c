// The web UI in a real headless browser (Debian's chromium, driven by playwright-core) against a real `meso up`:
// the overview loads, a task launched with the CLI appears without a reload, its log tail shows lines as they are
// written, killing it shows TASK_KILLED; sign-in when the cluster asks for credentials; services deployed through
// Marathon's /v2 API appearing live, healthy, or stuck with the reasons offers were declined; the masters. Screenshots go to
// test-artifacts/ui/ (gitignored). Skipped, saying why, where chromium is not installed (./install.sh installs it).

import { afterAll, beforeAll, expect, test } from 'bun:test'
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser, ConsoleMessage, Page } from 'playwright-core'
import { ROOT, meso, startDaemon, tempDir, waitFor, type Daemon } from '../helpers/processes.ts'

const CHROMIUM = '/usr/bin/chromium'
const ARTIFACTS = join(ROOT, 'test-artifacts', 'ui')
const haveChromium = existsSync(CHROMIUM)
if (!haveChromium) console.warn(`test/e2e/ui.test.ts: ${CHROMIUM} is missing (./install.sh installs it); the browser tests are skipped`)

let browser: Browser
const daemons: Daemon[] = []

beforeAll(async () => {
  if (!haveChromium) return
  mkdirSync(ARTIFACTS, { recursive: true })
  const { chromium } = await import('playwright-core')
  // --no-sandbox: the tests run as root, where Chromium refuses its own sandbox.
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] })
})

afterAll(async () => {
  await browser?.close()
  for (const d of daemons) await d.kill('SIGKILL').catch(() => {})
})

async function up(extra: string[] = []): Promise<{ url: string; dir: string; daemon: Daemon }> {
  const dir = tempDir('meso-ui-')
  const daemon = await startDaemon(['up', `--work_dir=${dir}`, '--port=0', '--launcher=posix', '--resources=cpus:2;mem:2048;disk:1000;ports:[31000-31100]', ...extra], /master (http:\/\/\S+) \(scheduler API/)
  daemons.push(daemon)
  await waitFor('the agent to register', async () => (await meso(['agent', 'list', '--json', `--master=${daemon.url}`])).stdout.includes('"id"'), 30_000)
  return { url: daemon.url, dir, daemon }
}

/** The secret `meso up` generated for the CLI's operator principal. */
function operatorSecret(dir: string): string {
  const creds = JSON.parse(readFileSync(join(dir, 'secrets', 'credentials.json'), 'utf8')) as { credentials: { principal: string; secret: string }[] }
  return creds.credentials.find(c => c.principal === 'meso-operator')!.secret
}

/**
 * Console errors, less the browser's own line for a 401 answer: that is how the page learns that it must ask for
 * credentials (the sign-in flow the tests exercise), and Chromium logs every non-2xx fetch.
 */
function watchConsole(page: Page): string[] {
  const errors: string[] = []
  page.on('console', (m: ConsoleMessage) => {
    if (m.type() !== 'error') return
    if (/status of 401 \(Unauthorized\)/.test(m.text())) return
    errors.push(m.text())
  })
  page.on('pageerror', err => errors.push(`page error: ${err.message}`))
  return errors
}

async function signIn(page: Page, secret: string) {
  await page.getByLabel('Principal').fill('meso-operator')
  await page.getByLabel('Secret').fill(secret)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.getByRole('heading', { name: 'Sign in' }).waitFor({ state: 'detached', timeout: 30_000 })
}

test.skipIf(!haveChromium)('sign-in, overview, a task appearing live, its log tail, and its kill', async () => {
  // `meso up` turns on read-write authentication, which covers the operator API the page subscribes to.
  const { url, dir, daemon } = await up()
  const secret = operatorSecret(dir)
  expect(daemon.log()).toContain(`web UI: ${url}/ (sign in as meso-operator; the secret is in ${join(dir, 'secrets', 'credentials.json')})`)
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
  const errors = watchConsole(page)

  const loadStarted = performance.now()
  await page.goto(`${url}/`)
  await page.getByRole('heading', { name: 'Sign in' }).waitFor({ timeout: 30_000 })
  console.log(`ui: sign-in form shown ${(performance.now() - loadStarted).toFixed(0)} ms after navigation`)
  await page.screenshot({ path: join(ARTIFACTS, 'login.png') })
  // A wrong secret is refused and nothing is kept.
  await page.getByLabel('Principal').fill('meso-operator')
  await page.getByLabel('Secret').fill('wrong')
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.getByRole('alert').getByText('refused').waitFor()
  expect(await page.evaluate(() => sessionStorage.getItem('meso.credentials'))).toBeNull()
  await signIn(page, secret)
  await page.getByRole('status').filter({ hasText: 'live' }).waitFor({ timeout: 30_000 })
  await page.getByRole('heading', { name: 'Overview' }).waitFor()
  await page.locator('.card', { hasText: 'Agents' }).getByText('active of 1').waitFor()
  expect(page.url()).not.toContain(secret)

  // The tasks page is open before the task exists: the row must come from the event stream, not a reload.
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Tasks' }).click()
  const navigations: string[] = []
  page.on('framenavigated', f => { if (f === page.mainFrame()) navigations.push(f.url()) })
  const script = 'i=0; while true; do echo "tick-$i"; echo "err-$i" >&2; i=$((i+1)); sleep 0.3; done'
  const run = await meso(['task', 'run', '-d', '--name', 'ui-ticker', `--master=${url}`, '--', 'sh', '-c', script], { timeoutMs: 30_000 })
  expect(run.code).toBe(0)
  const taskId = run.stdout.trim()
  const row = page.locator(`tr[data-id="${taskId}"]`)
  await row.waitFor({ timeout: 30_000 })
  await row.getByText('running').waitFor({ timeout: 30_000 })
  expect(navigations.every(u => u.startsWith(`${url}/#/`))).toBe(true) // hash changes only: no reload
  await page.screenshot({ path: join(ARTIFACTS, 'tasks.png') })

  // `/` focuses the search box; search narrows the table.
  await page.locator('body').press('/')
  await page.keyboard.type('no-such-task')
  await page.getByText('No tasks match.').waitFor()
  await page.getByLabel('Search tasks').fill('ticker')
  await row.waitFor()

  // The task page: the log tail follows stdout through the master's relay to the agent.
  await row.click()
  const log = page.locator('pre.log-text')
  await log.getByText(/tick-\d+/).first().waitFor({ timeout: 30_000 })
  const lastTick = async () => Math.max(...[...(await log.textContent() ?? '').matchAll(/tick-(\d+)/g)].map(m => Number(m[1])))
  const first = await lastTick()
  await waitFor('new log lines in the page', async () => (await lastTick()) >= first + 3, 15_000, 200)
  await page.screenshot({ path: join(ARTIFACTS, 'task.png') })

  // stderr, through the sandbox browser.
  await page.getByRole('link', { name: 'stderr' }).click()
  await log.getByText(/err-\d+/).first().waitFor({ timeout: 30_000 })

  const kill = await meso(['task', 'kill', taskId, `--master=${url}`], { timeoutMs: 30_000 })
  expect(kill.code).toBe(0)
  await page.getByRole('heading', { name: /ui-ticker/ }).getByText('killed').waitFor({ timeout: 30_000 })
  await page.getByRole('table', { name: 'State history' }).getByText('killed').waitFor()

  // The overview again (the README's screenshot), and at a phone's width with nothing wider than the screen.
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Overview' }).click()
  await page.getByRole('heading', { name: 'Overview' }).waitFor()
  await page.screenshot({ path: join(ARTIFACTS, 'overview.png') })
  await page.setViewportSize({ width: 390, height: 844 })
  await page.screenshot({ path: join(ARTIFACTS, 'overview-phone.png'), fullPage: true })
  expect(await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth')).toBeLessThanOrEqual(0)

  // Deep links: a new tab opened at the task's address signs in (credentials live in one tab's sessionStorage) and
  // lands on the task.
  const deep = await browser.newPage({ viewport: { width: 1280, height: 800 } })
  const deepErrors = watchConsole(deep)
  await deep.goto(`${url}/#/tasks/${encodeURIComponent(JSON.parse((await meso(['task', 'list', '--all', '--json', `--master=${url}`])).stdout)[0].framework_id)}/${encodeURIComponent(taskId)}`)
  await deep.getByRole('heading', { name: 'Sign in' }).waitFor({ timeout: 30_000 })
  await signIn(deep, secret)
  await deep.getByRole('heading', { name: /ui-ticker/ }).getByText('killed').waitFor({ timeout: 30_000 })
  await deep.close()

  expect(errors).toEqual([])
  expect(deepErrors).toEqual([])
  await page.close()
}, 120_000)

test.skipIf(!haveChromium)('a master without authentication: no sign-in until a sandbox needs it', async () => {
  const { url, dir } = await up(['--master-flag=authenticate_http_readwrite=false'])
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
  const errors = watchConsole(page)
  const started = performance.now()
  await page.goto(`${url}/#/agents`)
  await page.getByRole('status').filter({ hasText: 'live' }).waitFor({ timeout: 30_000 })
  await page.locator('tbody tr[data-href]').first().waitFor()
  console.log(`ui: agents page live with its row ${(performance.now() - started).toFixed(0)} ms after navigation (fresh browser context, no cache)`)
  expect(await page.getByRole('heading', { name: 'Sign in' }).count()).toBe(0)

  const run = await meso(['task', 'run', '-d', '--name', 'quiet', `--master=${url}`, '--', 'sh', '-c', 'echo quiet-output; sleep 60'], { timeoutMs: 30_000 })
  expect(run.code).toBe(0)
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Tasks' }).click()
  await page.locator(`tr[data-id="${run.stdout.trim()}"]`).click()
  // The agent's sandboxes are gated under `meso up` whatever the master does.
  await page.getByRole('heading', { name: 'Sign in' }).waitFor({ timeout: 30_000 })
  await signIn(page, operatorSecret(dir))
  await page.locator('pre.log-text').getByText('quiet-output').waitFor({ timeout: 30_000 })
  await meso(['task', 'kill', run.stdout.trim(), `--master=${url}`], { timeoutMs: 30_000 })
  expect(errors).toEqual([])
  await page.close()
}, 90_000)

test.skipIf(!haveChromium)('jobs: the list and a pipeline run drawn as a DAG with its failed and skipped steps', async () => {
  const { url, dir } = await up(['--master-flag=authenticate_http_readwrite=false'])
  const job = (id: string, cmd: string, deps: string[] = []) => ({ id, ...(deps.length ? { dependencies: deps.map(d => ({ id: d })) } : {}), run: { cmd, cpus: 0.1, mem: 32, disk: 0 } })
  const spec = join(dir, 'diamond.json')
  await Bun.write(spec, JSON.stringify([
    job('checkout', 'echo checked out'), job('build-linux', 'echo linux built', ['checkout']),
    job('build-mac', 'echo mac broke; exit 4', ['checkout']), job('release', 'echo released', ['build-linux', 'build-mac']),
  ]))
  expect((await meso(['job', 'create', spec, `--master=${url}`])).code).toBe(0)
  expect((await meso(['job', 'run', 'release', '--wait', `--master=${url}`], { timeoutMs: 90_000 })).code).toBe(4)

  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
  const errors = watchConsole(page)
  await page.goto(`${url}/#/jobs`)
  await page.locator('tr[data-id="release"]').getByText('build-linux, build-mac').waitFor({ timeout: 30_000 })
  await page.locator('tr[data-id="release"]').click()
  const dag = page.getByRole('list', { name: /^Pipeline run / })
  await dag.waitFor({ timeout: 30_000 })
  const stages = dag.locator(':scope > li')
  expect(await stages.count()).toBe(3)
  expect(await stages.nth(0).innerText()).toContain('checkout')
  expect(await stages.nth(1).locator('.dag-step', { hasText: 'build-mac' }).getByText('failed').count()).toBe(1)
  expect(await stages.nth(2).innerText()).toContain('skipped because build-mac failed')
  await page.screenshot({ path: join(ARTIFACTS, 'job.png'), fullPage: true })
  expect(errors).toEqual([])
  await page.close()
}, 120_000)

test.skipIf(!haveChromium)('services: an app appearing live and turning healthy, one that cannot be placed and why; the masters', async () => {
  // `meso up` as it comes: authentication on, so the /v2/events stream must carry the page's credentials.
  const { url, dir } = await up()
  const secret = operatorSecret(dir)
  const auth = { Authorization: `Basic ${btoa(`meso-operator:${secret}`)}`, 'Content-Type': 'application/json' }
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
  const errors = watchConsole(page)
  await page.goto(`${url}/#/services`)
  await page.getByRole('heading', { name: 'Sign in' }).waitFor({ timeout: 30_000 })
  await signIn(page, secret)
  await page.getByText('No services.').waitFor({ timeout: 30_000 })
  const navigations: string[] = []
  page.on('framenavigated', f => { if (f === page.mainFrame()) navigations.push(f.url()) })

  // Deployed while the page is open: the row must come from the event stream, not a reload.
  const web = {
    id: '/ui/web', cmd: '/usr/bin/python3 -m http.server $PORT0 --bind 127.0.0.1', cpus: 0.1, mem: 64, instances: 1,
    healthChecks: [{ protocol: 'MESOS_HTTP', path: '/', portIndex: 0, gracePeriodSeconds: 10, intervalSeconds: 1, timeoutSeconds: 2, maxConsecutiveFailures: 3, delaySeconds: 0 }],
  }
  const deployed = performance.now()
  const created = await fetch(`${url}/v2/apps`, { method: 'POST', headers: auth, body: JSON.stringify(web) })
  expect(created.status).toBe(201)
  const row = page.locator('tr[data-id="/ui/web"]')
  await row.waitFor({ timeout: 30_000 })
  await row.getByText('running', { exact: true }).waitFor({ timeout: 60_000 })
  // Healthy: the 5th column counts healthy tasks (the health check's first success after the task started).
  await waitFor('the healthy count in the row', async () => (await row.locator('td').nth(4).innerText()).trim() === '1', 60_000, 200)
  console.log(`ui: service running and healthy in the list ${(performance.now() - deployed).toFixed(0)} ms after POST /v2/apps`)
  expect(navigations.every(u => u.startsWith(`${url}/#/`))).toBe(true)
  await page.screenshot({ path: join(ARTIFACTS, 'services.png') })

  // Its page (reached with the keyboard, as the other tables): the definition, its task healthy, linked to the task page.
  await page.getByRole('table', { name: 'Services' }).locator('tbody tr').first().focus()
  await page.keyboard.press('Enter')
  await page.getByRole('heading', { name: '/ui/web' }).waitFor()
  const tasks = page.getByRole('table', { name: 'Service tasks' })
  await tasks.getByText('healthy', { exact: true }).waitFor({ timeout: 30_000 })
  await tasks.getByText('running', { exact: true }).waitFor()
  expect(await page.getByText('http.server').count()).toBeGreaterThan(0)
  await page.screenshot({ path: join(ARTIFACTS, 'service.png'), fullPage: true })
  // Nothing polls: with nothing happening to the service, the open page asks the master nothing.
  const requests: string[] = []
  page.on('request', r => { if (new URL(r.url()).pathname.startsWith('/v2/')) requests.push(new URL(r.url()).pathname) })
  await Bun.sleep(4000)
  expect(requests).toEqual([])
  await tasks.locator('a').first().click()
  await page.getByRole('heading', { name: /^ui_web/ }).waitFor({ timeout: 30_000 })

  // An app no agent can hold: its deployment stays, with the reasons the offers were declined.
  const huge = { id: '/ui/huge', cmd: 'sleep 1000', cpus: 1000, mem: 32, instances: 1 }
  expect((await fetch(`${url}/v2/apps`, { method: 'POST', headers: auth, body: JSON.stringify(huge) })).status).toBe(201)
  await page.goto(`${url}/#/services/ui/huge`)
  const why = page.getByLabel('Why not running')
  await why.getByRole('img', { name: /^InsufficientCpus declined \d+ of \d+$/ }).waitFor({ timeout: 60_000 })
  await why.getByRole('table', { name: 'Last unused offers' }).getByText('InsufficientCpus').first().waitFor()
  await page.getByText(/^Stuck: \/ui\/huge: /).waitFor({ timeout: 30_000 })
  await page.screenshot({ path: join(ARTIFACTS, 'service-stuck.png'), fullPage: true })
  // Offers are declined with every offer round while it waits: what they change is read at most every 2 s.
  requests.length = 0
  await Bun.sleep(6000)
  const reads = (p: string) => requests.filter(r => r === p).length
  console.log(`ui: requests in 6 s on a stuck service's page: ${JSON.stringify(requests)}`)
  expect(reads('/v2/queue')).toBeLessThanOrEqual(4)
  expect(reads('/v2/deployments')).toBeLessThanOrEqual(4)
  // A phone's width: nothing wider than the screen (tables scroll inside their frame).
  await page.setViewportSize({ width: 390, height: 844 })
  await page.screenshot({ path: join(ARTIFACTS, 'service-stuck-phone.png'), fullPage: true })
  expect(await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth')).toBeLessThanOrEqual(0)
  await page.setViewportSize({ width: 1280, height: 800 })

  // The overview: the stuck deployment as an alert, the services card, and the masters (one, without --zk).
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Overview' }).click()
  await page.getByRole('list', { name: 'Alerts' }).getByText(/deployment of \/ui\/huge is stuck/).waitFor({ timeout: 30_000 })
  await page.locator('.card', { hasText: 'Services' }).getByText('2 apps, 1 of 2 instances running').waitFor({ timeout: 30_000 })
  const masters = page.getByRole('list', { name: 'Masters' })
  await masters.getByText('leading').waitFor({ timeout: 30_000 })
  await page.screenshot({ path: join(ARTIFACTS, 'overview-services.png') })
  const view = await (await fetch(`${url}/api/meso/v1/masters`, { headers: auth })).json() as { leader: { id: string }; masters: { id: string; address: string; leading: boolean }[]; source: string }
  expect(view.source).toBe('standalone')
  expect(view.masters).toHaveLength(1)
  expect(view.masters[0]!.leading).toBe(true)
  expect(view.masters[0]!.id).toBe(view.leader.id)
  expect(`http://${view.masters[0]!.address}`).toBe(url)
  expect(await masters.innerText()).toContain(view.masters[0]!.address)

  expect(errors).toEqual([])
  await page.close()
}, 180_000)
