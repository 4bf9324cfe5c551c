// The web UI's entry point, bundled by src/ui/build.ts and served by the master at `/` (docs/ui.md).

import { render } from 'preact'
import { App } from './views/app.ts'
import { html } from './views/html.ts'
import { store } from './views/store.ts'

store.start()
const root = document.getElementById('app')!
root.textContent = '' // the 'Loading…' line the page shows until the script runs
render(html`<${App} />`, root)
