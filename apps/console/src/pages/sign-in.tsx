import { useState } from 'preact/hooks'
import { api } from '../api.js'
import type { Session } from '../types.js'
import { ErrorBox } from '../ui.js'

/** Paste an API key once: the server keeps it in an HttpOnly cookie; the page forgets it at once. */
export function SignIn({ reason, onSignedIn }: { reason?: string | undefined; onSignedIn: (session: Session) => void }) {
  const [error, setError] = useState<unknown>(undefined)
  const [busy, setBusy] = useState(false)
  const submit = async (event: Event) => {
    event.preventDefault()
    const form = event.currentTarget as HTMLFormElement
    const input = form.elements.namedItem('key') as HTMLInputElement
    const key = input.value.trim()
    setBusy(true)
    setError(undefined)
    try {
      const session = await api.signIn(key)
      input.value = ''
      onSignedIn(session)
    } catch (err) {
      setError(err)
    } finally {
      setBusy(false)
    }
  }
  return (
    <main id="main" class="sign-in">
      <h1>Sign in to churnwatch</h1>
      {reason && <p class="notice" role="status">{reason}</p>}
      <form onSubmit={(e) => void submit(e)}>
        <label for="key">API key</label>
        <input id="key" name="key" type="password" autocomplete="off" spellcheck={false} required placeholder="cw_…" />
        <p class="hint">Paste a key with the read scope (and alerts:write, or admin, to act on alerts). It is exchanged for a session cookie and not stored in this browser.</p>
        <button type="submit" disabled={busy}>{busy ? 'Signing in…' : 'Sign in'}</button>
      </form>
      {error !== undefined && <ErrorBox error={error} />}
    </main>
  )
}
