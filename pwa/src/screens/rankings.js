// Rankings (online): per scope (commune, transaction office, province) and unit kind, from
// /api/results/rankings: ties share a rank (1, 2, 2, 4), excluded units come last without a
// rank, last year's rank and points where the API gives them; exported as XLSX, CSV or PDF.
import { html } from 'htm/preact';
import { query } from '../api.js';
import { formatNumber, formatTenths, t } from '../i18n.js';
import { createStore, useStore } from '../store.js';
import { ExportButtons, levelName, useApi } from './review.js';

const PAGE = 100;
const SCOPES = ['commune', 'pgd', 'province'];
// kept while the reviewer leaves the screen and comes back
export const rankState = createStore({ scope: 'commune', place: '', kind: '', offset: 0 });

const unique = (values) => [...new Set(values)];

export function Rankings({ session }) {
  const s = useStore(rankState);
  const set = (patch) => rankState.set({ offset: 0, ...patch });
  const [places, placesErr] = useApi(session, '/api/results/summary' + query({ level: s.scope }));
  const rows = places?.rows || [];
  const names = Object.fromEntries(rows.map((r) => [r.code, r.name]));
  const codes = Object.keys(names);
  const kinds = unique(rows.map((r) => r.unit_kind));
  const place = codes.includes(s.place) ? s.place : codes[0] || '';
  const kind = kinds.includes(s.kind) ? s.kind : kinds[0] || '';
  const where = { unit_kind: kind, scope_type: s.scope, scope_id: place };
  const [page, err] = useApi(session, place && kind ? '/api/results/rankings' + query({ ...where, limit: PAGE, offset: s.offset }) : null);
  const exportPath = (format) => '/api/results/export' + query({ what: 'rankings', format, ...where });
  return html`<main>
    <section class="card">
      <div class="filter-row">
        <span><label for="k-scope">${t('rank.scope')}</label>
          <select id="k-scope" value=${s.scope} onChange=${(e) => set({ scope: e.target.value, place: '' })}>
            ${SCOPES.map((l) => html`<option value=${l}>${levelName(l)}</option>`)}</select></span>
        <span><label for="k-place">${levelName(s.scope)}</label>
          <select id="k-place" value=${place} onChange=${(e) => set({ place: e.target.value })}>
            ${codes.map((c) => html`<option value=${c}>${names[c]}</option>`)}</select></span>
        <span><label for="k-kind">${t('filter.kind')}</label>
          <select id="k-kind" value=${kind} onChange=${(e) => set({ kind: e.target.value })}>
            ${kinds.map((k) => html`<option value=${k}>${t('kind.' + k)}</option>`)}</select></span>
      </div>
      <p class="small">${t('rank.help')}</p>
    </section>
    ${(placesErr || err) && html`<p class="error" role="alert">${placesErr || err}</p>`}
    ${places && !codes.length && html`<p class="card">${t('review.noRows')}</p>`}
    ${!page && !err && !(places && !codes.length) && html`<p class="card">${t('app.loading')}</p>`}
    ${page && html`<${RankTable} page=${page} title=${t('rank.title', { kind: t('kind.' + kind), place: names[place] })} />`}
    ${page && html`<div class="actions2 card">
      <button type="button" disabled=${s.offset === 0} onClick=${() => set({ offset: Math.max(0, s.offset - PAGE) })}>${t('review.prev')}</button>
      <button type="button" disabled=${page.rows.length < PAGE} onClick=${() => set({ offset: s.offset + PAGE })}>${t('review.next')}</button>
    </div>`}
    ${place && kind && html`<section class="card exports"><h2>${t('rank.export')}</h2>
      <${ExportButtons} session=${session} label=${t('rank.exportLabel')} path=${exportPath} stem="rankings" /></section>`}
  </main>`;
}

/** Whether `rank` is shared with the row before or after (a tie). */
const tied = (rows, i) => rows[i].rank != null && [rows[i - 1], rows[i + 1]].some((o) => o && o.rank === rows[i].rank);

function RankTable({ page, title }) {
  const yoy = Boolean(page.previous_campaign);
  if (!page.rows.length) return html`<p class="card">${t('review.noRows')}</p>`;
  return html`<section class="card" aria-labelledby="rank-title"><h2 id="rank-title">${title}</h2>
    ${yoy && html`<p class="small">${t('rank.previous', { campaign: page.previous_campaign })}</p>`}
    <div class="scroll"><table class="table" data-testid="ranking">
      <thead><tr><th scope="col">${t('rank.rank')}</th><th scope="col">${t('rank.unit')}</th><th scope="col">${t('rank.points')}</th>
        ${yoy && html`<th scope="col">${t('rank.lastYear')}</th>`}</tr></thead>
      <tbody>${page.rows.map((r, i) => html`<tr>
        <td data-testid="rank">${r.rank == null ? '–' : formatNumber(r.rank)}${tied(page.rows, i) ? html`<br /><span class="small">${t('rank.tie')}</span>` : ''}</td>
        <th scope="row">${r.row.name}<br /><span class="small">${r.rank == null ? t('rank.excluded') : r.row.classification || '–'}</span></th>
        <td>${formatTenths(r.row.total)}</td>
        ${yoy && html`<td>${r.previous_rank == null ? '–' : t('rank.lastYearValue', { rank: formatNumber(r.previous_rank), points: formatTenths(r.previous_total) })}</td>`}
      </tr>`)}</tbody>
    </table></div></section>`;
}
