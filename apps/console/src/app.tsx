import { useEffect, useState } from 'preact/hooks'
import { api, ApiProblem, configureClient } from './api.js'
import { AccountPage } from './pages/account.js'
import { AlertsPage } from './pages/alerts.js'
import { MetricsPage } from './pages/metrics.js'
import { SignIn } from './pages/sign-in.js'
import { WorklistPage } from './pages/worklist.js'
import { parseHash, type Route } from './route.js'
import type { Session } from './types.js'
import { ErrorBox, Loading } from './ui.js'

/** Money has no currency in the API (minor units); the console shows it in this one, or ?currency= in the hash. */
const DEFAULT_CURRENCY = 'USD'

function useRoute(): Route {
  const [route, setRoute] = useState(() => parseHash(window.location.hash))
  useEffect(() => {
    const onChange = () => setRoute(parseHash(window.location.hash))
    window.addEventListener('hashchange', onChange)
    return () => window.removeEventListener('hashchange', onChange)
  }, [])
  return route
}

type SessionState = { state: 'checking' } | { state: 'signed-out'; reason?: string } | { state: 'signed-in'; session: Session } | { state: 'error'; error: unknown }

export function App() {
  const route = useRoute()
  const [session, setSession] = useState<SessionState>({ state: 'checking' })

  useEffect(() => {
    // An ended session goes back to sign-in; the hash (page and filters) stays as it is.
    configureClient({ csrfToken: undefined, onUnauthorized: () => setSession({ state: 'signed-out', reason: 'Your session has ended. Sign in again to continue where you were.' }) })
    api.session().then(
      (s) => setSession({ state: 'signed-in', session: s }),
      (error: unknown) => setSession(error instanceof ApiProblem && error.status === 401 ? { state: 'signed-out' } : { state: 'error', error }),
    )
  }, [])

  useEffect(() => {
    configureClient({ csrfToken: session.state === 'signed-in' ? session.session.csrfToken : undefined })
  }, [session])

  useEffect(() => {
    const titles = { worklist: 'Worklist', account: 'Account', alerts: 'Alerts', metrics: 'Metrics', 'not-found': 'Not found' }
    document.title = `${session.state === 'signed-in' ? titles[route.page] : 'Sign in'} · churnwatch`
  }, [route.page, session.state])

  if (session.state === 'checking') return <main id="main"><Loading what="your session" /></main>
  if (session.state === 'error') return <main id="main"><h1>churnwatch</h1><ErrorBox error={session.error} /></main>
  if (session.state === 'signed-out') return <SignIn reason={session.reason} onSignedIn={(s) => setSession({ state: 'signed-in', session: s })} />

  const currency = (route.params.get('currency') ?? DEFAULT_CURRENCY).toUpperCase()
  const signOut = async () => {
    try {
      await api.signOut()
    } finally {
      setSession({ state: 'signed-out' })
    }
  }
  return (
    <>
      <a class="skip" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById('main')?.focus() }}>Skip to content</a>
      <header class="top">
        <span class="brand">churnwatch</span>
        <nav aria-label="Pages">
          <a href="#/worklist" aria-current={route.page === 'worklist' ? 'page' : undefined}>Worklist</a>
          <a href="#/alerts" aria-current={route.page === 'alerts' ? 'page' : undefined}>Alerts</a>
          <a href="#/metrics" aria-current={route.page === 'metrics' ? 'page' : undefined}>Metrics</a>
        </nav>
        <span class="who" title={`Key ${session.session.keyId}; scopes: ${session.session.scopes.join(', ')}`}>
          {session.session.name}
        </span>
        <button type="button" class="link" onClick={() => void signOut()}>Sign out</button>
      </header>
      <main id="main" tabIndex={-1}>
        {route.page === 'worklist' && <WorklistPage params={route.params} currency={currency} />}
        {route.page === 'account' && <AccountPage customerId={route.customerId} session={session.session} currency={currency} />}
        {route.page === 'alerts' && <AlertsPage params={route.params} session={session.session} currency={currency} />}
        {route.page === 'metrics' && <MetricsPage params={route.params} currency={currency} />}
        {route.page === 'not-found' && (
          <>
            <h1>Not found</h1>
            <p>
              There is no page at <code>{route.path}</code>. Go to the <a href="#/worklist">worklist</a>.
            </p>
          </>
        )}
      </main>
    </>
  )
}
