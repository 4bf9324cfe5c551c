// Sign-in for masters (and agents) with HTTP authentication on (docs/security-auth.md): a principal and secret sent
// as Basic credentials on every request the page makes, kept in sessionStorage for this tab only.

import { useState } from 'preact/hooks'
import { operatorCall, saveCredentials, AuthRequired } from '../api/http.ts'
import { html } from './html.ts'

export function Login({ onSignedIn, reason }: { onSignedIn: () => void; reason: string }) {
  const [principal, setPrincipal] = useState('')
  const [secret, setSecret] = useState('')
  const [error, setError] = useState('')
  const [busy, setBusy] = useState(false)
  const submit = async (e: Event) => {
    e.preventDefault()
    setBusy(true)
    setError('')
    saveCredentials({ principal, secret })
    try {
      await operatorCall({ type: 'GET_HEALTH' })
      onSignedIn()
    } catch (err) {
      saveCredentials(undefined)
      setError(err instanceof AuthRequired ? 'The master refused these credentials.' : (err as Error).message)
    } finally {
      setBusy(false)
    }
  }
  return html`<section class="page login">
    <h1>Sign in</h1>
    <p>${reason}</p>
    <form onSubmit=${submit} class="login-form">
      <label>Principal <input name="principal" autocomplete="username" required value=${principal} onInput=${(e: Event) => setPrincipal((e.target as HTMLInputElement).value)} /></label>
      <label>Secret <input name="secret" type="password" autocomplete="current-password" required value=${secret} onInput=${(e: Event) => setSecret((e.target as HTMLInputElement).value)} /></label>
      ${error ? html`<p class="error" role="alert">${error}</p>` : null}
      <button type="submit" disabled=${busy}>${busy ? 'Signing in…' : 'Sign in'}</button>
    </form>
    <p class="note">With <code>meso up</code> the principal is <code>meso-operator</code>; its secret is in <code>${'<work dir>/secrets/credentials.json'}</code>.</p>
  </section>`
}
