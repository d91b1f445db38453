// The sync status, always visible under the header: online or offline, local changes not yet
// sent, the last successful sync, the first download's progress bar, errors, refused sheets.
import { html } from 'htm/preact';
import { formatDateTime, formatNumber, t } from './i18n.js';
import { useStore } from './store.js';
import { syncState } from './sync.js';
import { dataState } from './data.js';

export function StatusBar() {
  const s = useStore(syncState);
  const data = useStore(dataState);
  const unitName = (id) => data.units.find((u) => u.id === unitOfSheet(id))?.name || unitOfSheet(id);
  const pending = Object.keys(s.pending).length;
  const refused = Object.entries(s.refused);
  return html`<section class="status" aria-label=${t('status.label')} aria-live="polite">
    <p class="row">
      <span class=${'badge ' + (s.online ? 'on' : 'off')}>${s.online ? t('status.online') : t('status.offline')}</span>
      <span data-testid="pending">${pending ? t('status.pending', { n: formatNumber(pending) }) : t('status.allSent')}</span>
    </p>
    <p class="row small" data-testid="last-sync">${s.lastSync ? t('status.lastSync', { at: formatDateTime(s.lastSync) }) : t('status.neverSynced')}
      ${s.active && s.online ? html` · ${t('status.syncing')}` : ''}</p>
    ${s.progress !== null && html`<label class="progress">${t('status.downloading', { p: formatNumber(Math.round(s.progress * 100)) })}
      <progress max="100" value=${Math.round(s.progress * 100)}></progress></label>`}
    ${s.error && html`<p class="error" role="alert">${s.error}</p>`}
    ${refused.length > 0 && html`<details class="refused" open><summary>${t('status.refused', { n: refused.length })}</summary>
      <ul>${refused.map(([id, r]) => html`<li data-testid="refused"><a href=${'#/u/' + unitOfSheet(id)}>${unitName(id)}</a>: ${r.text}</li>`)}</ul>
    </details>`}
  </section>`;
}

export const unitOfSheet = (id) => id.split(':').slice(2, 4).join(':');
