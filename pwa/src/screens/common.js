// Pieces shared by the screens: the header with its menu, the language switch, progress text.
import { html } from 'htm/preact';
import { currentLang, formatNumber, setLang, t } from '../i18n.js';

export function LangSwitch() {
  const other = currentLang() === 'vi' ? 'en' : 'vi';
  return html`<button class="link" type="button" lang=${other} onClick=${() => { setLang(other); location.reload(); }}>
    ${t('lang.switch')}</button>`;
}

export function Header({ title, back, session, onSignOut }) {
  return html`<header class="top">
    ${back ? html`<a class="back" href=${back} aria-label=${t('nav.back')}>‹</a>` : html`<span class="back"></span>`}
    <h1>${title}</h1>
    <details class="menu"><summary aria-label=${t('nav.menu')}>☰</summary>
      <div class="menu-body">
        <p class="small">${t('menu.signedInAs', { name: session.name, device: session.device })}</p>
        <${LangSwitch} />
        <button type="button" class="danger" onClick=${onSignOut}>${t('menu.signOut')}</button>
      </div>
    </details>
  </header>`;
}

export const progressText = (scored, total) => t('progress.scored', { scored: formatNumber(scored), total: formatNumber(total) });
