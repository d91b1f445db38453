// The app: sign-in, or the signed-in screens chosen by the URL hash
// (#/ territory, #/h/<commune>/<hamlet> units of a hamlet, #/u/<kind>:<code> scoring form;
// for reviewers, online: #/r results, #/r/u/<result id> one unit, #/k rankings, #/q review queue,
// #/q/<id> resolve).
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { refreshMe, savedSession, signOut } from './auth.js';
import { dataState, watchData } from './data.js';
import { t } from './i18n.js';
import { Header } from './screens/common.js';
import { isReviewer, Results } from './screens/review.js';
import { Rankings } from './screens/rankings.js';
import { Queue, Resolve } from './screens/reviewQueue.js';
import { ResultDetail } from './screens/reviewUnit.js';
import { SheetForm } from './screens/form.js';
import { SignIn } from './screens/signin.js';
import { Hamlet, hamletTitle, Territory } from './screens/territory.js';
import { StatusBar } from './status.js';
import { useStore } from './store.js';
import { destroyLocal, openLocal, startSync, syncState } from './sync.js';

function useHash() {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => { const on = () => setHash(location.hash); addEventListener('hashchange', on); return () => removeEventListener('hashchange', on); }, []);
  return hash.replace(/^#\/?/, '').split('/');
}

async function begin(session) {
  openLocal(session);
  await watchData(session.dbs);
  startSync();
  if (navigator.onLine) refreshMe(session).catch(() => {});
}

export function App({ update }) {
  const [session, setSession] = useState(savedSession);
  const [error, setError] = useState(null);
  const data = useStore(dataState);
  const route = useHash();
  useEffect(() => { if (session) begin(session).catch((e) => setError(e.message)); }, [session]);
  const banner = update && html`<p class="update" role="status">${t('app.update')} <button type="button" onClick=${update}>${t('app.reload')}</button></p>`;
  if (!session) return html`<div class="shell">${banner}<${SignIn} onSignedIn=${setSession} /></div>`;

  async function onSignOut() {
    if (Object.keys(syncState.get().pending).length && !confirm(t('menu.unsent'))) return;
    try {
      await signOut(session);
    } catch (err) {
      setError(t('menu.signOutFailed', { reason: err.message }));
      return;
    }
    await destroyLocal();
    location.hash = '';
    setSession(null);
  }

  let title = t('territory.title'), back = null, body;
  const reviewer = isReviewer(session);
  if (reviewer && route[0] === 'r' && route[1] === 'u') {
    title = t('review.unitTitle'); back = '#/r';
    body = html`<${ResultDetail} key=${route[2]} session=${session} id=${decodeURIComponent(route.slice(2).join('/'))} />`;
  } else if (reviewer && route[0] === 'r') {
    title = t('review.title'); body = html`<${Results} session=${session} />`;
  } else if (reviewer && route[0] === 'k') {
    title = t('rank.screen'); body = html`<${Rankings} session=${session} />`;
  } else if (reviewer && route[0] === 'q' && route[1]) {
    title = t('resolve.title'); back = '#/q'; body = html`<${Resolve} key=${route[1]} session=${session} id=${route[1]} />`;
  } else if (reviewer && route[0] === 'q') {
    title = t('queue.screen'); body = html`<${Queue} session=${session} />`;
  } else if (!data.ready) body = html`<main><p class="card">${t('app.loading')}</p></main>`;
  else if (!data.campaign) body = html`<main><p class="card">${t('app.noCampaign')}</p></main>`;
  else if (route[0] === 'h') {
    title = hamletTitle(data, route[2]); back = '#/';
    body = html`<${Hamlet} data=${data} commune=${route[1]} hamlet=${route[2]} />`;
  } else if (route[0] === 'u') {
    const unit = data.units.find((u) => u.id === decodeURIComponent(route.slice(1).join('/')));
    title = unit ? unit.name : t('form.unknownUnit');
    back = unit ? `#/h/${unit.commune_code}/${unit.hamlet_code || '_xa'}` : '#/';
    body = unit ? html`<${SheetForm} key=${unit.id} data=${data} unit=${unit} session=${session} />` : html`<main><p class="card">${t('form.unknownUnit')}</p></main>`;
  } else body = html`<${Territory} data=${data} />`;

  return html`<div class="shell">
    <${Header} title=${title} back=${back} session=${session} onSignOut=${onSignOut} />
    ${banner}
    <${StatusBar} />
    ${reviewer && html`<nav class="tabs" aria-label=${t('review.nav')}>
      ${[['#/', t('territory.title'), ''], ['#/r', t('review.title'), 'r'], ['#/k', t('rank.screen'), 'k'], ['#/q', t('queue.screen'), 'q']].map(([href, label, key]) => html`<a class="tab" href=${href}
        aria-current=${(route[0] || '') === key ? 'page' : undefined}>${label}</a>`)}</nav>`}
    ${error && html`<p class="error" role="alert">${error}</p>`}
    ${body}
  </div>`;
}
