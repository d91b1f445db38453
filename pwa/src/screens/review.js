// Reviewer screens (online): the consolidated results by level (province → office → commune →
// hamlet) and unit kind, drilled down by choosing a place, with the units of that place paged,
// sorted and filtered on the server (/api/results/summary, /api/results/units) and exports.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { authed, download, query } from '../api.js';
import { formatNumber, formatTenths, t } from '../i18n.js';
import { createStore, useStore } from '../store.js';
import { progressText } from './common.js';

const PAGE = 20;
const DOWN = { province: 'pgd', pgd: 'commune', commune: 'hamlet' };
const PLACE_PARAM = { province: 'province', pgd: 'office', commune: 'commune', hamlet: 'hamlet' };
// kept while the reviewer opens a unit and comes back
export const reviewState = createStore({ level: 'province', kind: '', places: [], cls: '', status: '', sort: 'rank', offset: 0 });

export const levelName = (level) => ({ province: t('level.province'), pgd: t('level.pgd'), commune: t('level.commune'), hamlet: t('level.hamlet') })[level];
export const isReviewer = (session) => (session.roles || []).some((r) => ['admin', 'branch_reviewer', 'office_reviewer'].includes(r));
/** The branch (branch reviewer, admin): locks offices, unlocks, closes campaigns. */
export const isBranch = (session) => (session.roles || []).some((r) => ['admin', 'branch_reviewer'].includes(r));

/** Loads `path` with the session's token whenever it changes: [data, error]. */
export function useApi(session, path) {
  const [state, setState] = useState([null, null]);
  useEffect(() => {
    let live = true;
    setState([null, null]);
    if (path) authed(session)(path).then((d) => live && setState([d, null]), (e) => live && setState([null, e.message]));
    return () => { live = false; };
  }, [path]);
  return state;
}

/** The filters of the chosen places (province, office, commune, hamlet codes). */
const placeFilters = (places) => Object.fromEntries(places.map((p) => [PLACE_PARAM[p.level], p.code]));

export function Results({ session }) {
  const s = useStore(reviewState);
  const set = (patch) => reviewState.set({ offset: 0, ...patch });
  const where = placeFilters(s.places);
  const [summary, err] = useApi(session, '/api/results/summary' + query({ level: s.level, unit_kind: s.kind, ...where }));
  const place = s.places[s.places.length - 1];
  const choose = (row) => set({ places: [...s.places, { level: s.level, code: row.code, name: row.name }], level: DOWN[s.level] || s.level });
  const up = (i) => set({ places: s.places.slice(0, i), level: i < s.places.length ? s.places[i].level : s.level });
  const kinds = [...new Set((summary?.rows || []).map((r) => r.unit_kind))];
  return html`<main>
    <section class="card">
      <nav aria-label=${t('review.path')} class="row">
        <button type="button" class="link" onClick=${() => up(0)}>${t('review.all')}</button>
        ${s.places.map((p, i) => html`<span aria-hidden="true">›</span><button type="button" class="link" onClick=${() => up(i + 1)}>${p.name}</button>`)}
      </nav>
      <div class="filter-row">
        <span><label for="r-level">${t('review.level')}</label>
          <select id="r-level" value=${s.level} onChange=${(e) => set({ level: e.target.value })}>
            ${['province', 'pgd', 'commune', 'hamlet'].map((l) => html`<option value=${l}>${levelName(l)}</option>`)}</select></span>
        <span><label for="r-kind">${t('filter.kind')}</label>
          <select id="r-kind" value=${s.kind} onChange=${(e) => set({ kind: e.target.value })}><option value="">${t('filter.all')}</option>
            ${[...new Set([...kinds, s.kind].filter(Boolean))].map((k) => html`<option value=${k}>${t('kind.' + k)}</option>`)}</select></span>
      </div>
    </section>
    ${err && html`<p class="error" role="alert">${err}</p>`}
    ${!summary && !err && html`<p class="card">${t('app.loading')}</p>`}
    ${summary && html`<${SummaryTable} rows=${summary.rows} level=${s.level} onChoose=${DOWN[s.level] ? choose : null} />`}
    <${UnitTable} session=${session} s=${s} set=${set} where=${where} title=${place ? place.name : t('review.all')} />
  </main>`;
}

export const classText = (classes) => Object.entries(classes || {}).sort().map(([c, n]) => `${c}: ${formatNumber(n)}`).join(' · ') || '–';

function SummaryTable({ rows, level, onChoose }) {
  if (!rows.length) return html`<p class="card">${t('review.noRows')}</p>`;
  return html`<section class="card"><h2>${t('review.byLevel', { level: levelName(level) })}</h2>
    <div class="scroll"><table class="table" data-testid="summary">
      <thead><tr><th scope="col">${levelName(level)}</th><th scope="col">${t('review.scored')}</th><th scope="col">${t('review.classes')}</th></tr></thead>
      <tbody>${rows.map((r) => html`<tr>
        <th scope="row">${onChoose ? html`<button type="button" class="cell" onClick=${() => onChoose(r)}>${r.name}</button>` : r.name}
          <br /><span class="small">${t('kind.' + r.unit_kind)}</span></th>
        <td>${progressText(r.scored, r.units)}<br /><span class="small">${t('review.lockedCount', { n: formatNumber(r.locked) })}</span></td>
        <td>${classText(r.classes)}<br /><span class="small">${t('review.average', { p: formatTenths(r.average) })}</span></td>
      </tr>`)}</tbody>
    </table></div></section>`;
}

const SORTS = ['rank', '-total', 'total', 'unit', '-unit', '-scored_at'];
const sortName = (s) => ({ rank: t('sort.rank'), '-total': t('sort.totalDesc'), total: t('sort.totalAsc'), unit: t('sort.unitAsc'), '-unit': t('sort.unitDesc'), '-scored_at': t('sort.newest') })[s];

function UnitTable({ session, s, set, where, title }) {
  const filters = { unit_kind: s.kind, ...where, classification: s.cls, status: s.status };
  const [page, err] = useApi(session, '/api/results/units' + query({ ...filters, sort: s.sort, limit: PAGE, offset: s.offset }));
  return html`<section class="card" aria-labelledby="units-title">
    <h2 id="units-title">${t('review.units', { place: title })}</h2>
    <div class="filter-row">
      <span><label for="r-sort">${t('review.sort')}</label>
        <select id="r-sort" value=${s.sort} onChange=${(e) => set({ sort: e.target.value })}>${SORTS.map((k) => html`<option value=${k}>${sortName(k)}</option>`)}</select></span>
      <span><label for="r-status">${t('filter.status')}</label>
        <select id="r-status" value=${s.status} onChange=${(e) => set({ status: e.target.value })}><option value="">${t('filter.all')}</option>
          ${['draft', 'submitted', 'reviewed', 'locked'].map((k) => html`<option value=${k}>${t('status.' + k)}</option>`)}</select></span>
      <span><label for="r-class">${t('filter.class')}</label>
        <input id="r-class" value=${s.cls} onChange=${(e) => set({ cls: e.target.value.trim() })} /></span>
    </div>
    ${err && html`<p class="error" role="alert">${err}</p>`}
    ${page && !page.rows.length && html`<p>${t('filter.none')}</p>`}
    ${page && page.rows.length > 0 && html`<ul class="list" data-testid="result-units">${page.rows.map((r) => html`<li>
      <a class="item" href=${'#/r/u/' + encodeURIComponent(r.result_id)}>
        <span><strong>${r.name}</strong><br /><span class="small">${t('kind.' + r.unit_kind)}</span></span>
        <span class=${'tag ' + r.status}>${formatTenths(r.total)} · ${r.classification || '–'}${r.needs_review ? ' · ' + t('review.needsReview') : ''}</span></a></li>`)}</ul>
      <p class="small" data-testid="page-info">${t('review.page', { from: formatNumber(page.offset + 1), to: formatNumber(page.offset + page.rows.length), total: formatNumber(page.total) })}</p>
      <div class="actions2">
        <button type="button" disabled=${page.offset === 0} onClick=${() => set({ offset: Math.max(0, page.offset - PAGE) })}>${t('review.prev')}</button>
        <button type="button" disabled=${page.offset + page.rows.length >= page.total} onClick=${() => set({ offset: page.offset + PAGE })}>${t('review.next')}</button>
      </div>`}
    <${Exports} session=${session} filters=${filters} sort=${s.sort} level=${s.level} />
  </section>`;
}

/** XLSX / CSV / PDF buttons: `path(format)` is the export's URL (fetched with the token, then saved). */
export function ExportButtons({ session, label, path, stem }) {
  const [error, setError] = useState(null);
  async function save(format) {
    setError(null);
    try {
      await download(session, path(format), `${stem}.${format}`);
    } catch (e) {
      setError(e.message);
    }
  }
  return html`<div class="row export-row">
    <span class="small">${label}</span>
    ${['xlsx', 'csv', 'pdf'].map((f) => html`<button type="button" aria-label=${t('review.exportAs', { what: label, format: f.toUpperCase() })}
      onClick=${() => save(f)}>${f.toUpperCase()}</button>`)}
    ${error && html`<p class="error" role="alert">${error}</p>`}
  </div>`;
}

/** Exports of the unit table and the summary. */
function Exports({ session, filters, sort, level }) {
  const { hamlet, classification, status, ...where } = filters;
  const path = (what) => (format) => '/api/results/export' + query({ what, format, ...where, ...(what === 'units' ? { sort } : { level }) });
  return html`<div class="exports"><h3>${t('review.export')}</h3>
    <${ExportButtons} session=${session} label=${t('review.exportUnits')} path=${path('units')} stem="units" />
    <${ExportButtons} session=${session} label=${t('review.exportSummary')} path=${path('summary')} stem="summary" />
  </div>`;
}
