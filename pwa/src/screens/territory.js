// My territory → hamlets → units, with accent-insensitive search, filters (kind, status,
// class) and progress (scored / total).
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { sheetId, unitStatus } from '../data.js';
import { t } from '../i18n.js';
import { matches } from '../text.js';
import { progressText } from './common.js';

const COMMUNE_LEVEL = '_xa';
const scoredCount = (data, units) => units.filter((u) => ['submitted', 'reviewed', 'locked'].includes(unitStatus(data, u))).length;
const hamletOf = (u) => u.hamlet_code || COMMUNE_LEVEL;
const classOf = (data, u) => {
  const c = data.campaign;
  return c ? data.results[sheetId(c.id, u.id, c.periods[0].id)]?.classification || '' : '';
};

export function Territory({ data }) {
  const [filters, setFilters] = useState({ q: '', kind: '', status: '', cls: '' });
  const active = filters.q || filters.kind || filters.status || filters.cls;
  return html`<main>
    ${data.communes.map((commune) => {
      const units = data.units.filter((u) => u.commune_code === commune.code);
      const groups = {};
      for (const u of units) (groups[hamletOf(u)] ||= []).push(u);
      const hamlets = Object.keys(groups).sort((a, b) => (a === COMMUNE_LEVEL ? -1 : b === COMMUNE_LEVEL ? 1 : a.localeCompare(b)));
      return html`<section class="card">
        <h2>${commune.name}</h2>
        <p class="small">${progressText(scoredCount(data, units), units.length)}</p>
        <${Filters} data=${data} filters=${filters} onChange=${setFilters} />
        ${active
          ? html`<${UnitList} data=${data} units=${applyFilters(data, units, filters)} />`
          : html`<ul class="list">${hamlets.map((h) => html`<li><a class="item" href=${`#/h/${commune.code}/${h}`}>
              <span>${h === COMMUNE_LEVEL ? t('territory.communeLevel') : data.hamlets[h]?.name || h}</span>
              <span class="small">${progressText(scoredCount(data, groups[h]), groups[h].length)}</span></a></li>`)}</ul>`}
      </section>`;
    })}
    ${data.communes.length === 0 && html`<p class="card">${t('territory.empty')}</p>`}
  </main>`;
}

export function Hamlet({ data, commune, hamlet }) {
  const [filters, setFilters] = useState({ q: '', kind: '', status: '', cls: '' });
  const units = data.units.filter((u) => u.commune_code === commune && hamletOf(u) === hamlet);
  return html`<main><section class="card">
    <p class="small">${progressText(scoredCount(data, units), units.length)}</p>
    <${Filters} data=${data} filters=${filters} onChange=${setFilters} />
    <${UnitList} data=${data} units=${applyFilters(data, units, filters)} />
  </section></main>`;
}

export const hamletTitle = (data, hamlet) => (hamlet === COMMUNE_LEVEL ? t('territory.communeLevel') : data.hamlets[hamlet]?.name || hamlet);

function applyFilters(data, units, f) {
  return units.filter((u) => (!f.q || matches(`${u.folded} ${t('kind.' + u.kind)}`, f.q))
    && (!f.kind || u.kind === f.kind) && (!f.status || unitStatus(data, u) === f.status)
    && (!f.cls || classOf(data, u) === f.cls));
}

function Filters({ data, filters, onChange }) {
  const set = (name) => (e) => onChange({ ...filters, [name]: e.target.value });
  const kinds = data.campaign?.unit_kinds || [];
  const classes = [...new Set(Object.values(data.results).map((r) => r.classification).filter(Boolean))];
  return html`<div class="filters" role="search">
    <label for="q">${t('filter.search')}</label>
    <input id="q" type="search" value=${filters.q} onInput=${set('q')} placeholder=${t('filter.searchHint')} />
    <div class="filter-row">
      <span><label for="f-kind">${t('filter.kind')}</label>
        <select id="f-kind" value=${filters.kind} onChange=${set('kind')}><option value="">${t('filter.all')}</option>
          ${kinds.map((k) => html`<option value=${k}>${t('kind.' + k)}</option>`)}</select></span>
      <span><label for="f-status">${t('filter.status')}</label>
        <select id="f-status" value=${filters.status} onChange=${set('status')}><option value="">${t('filter.all')}</option>
          ${['none', 'draft', 'submitted', 'reviewed', 'locked'].map((s) => html`<option value=${s}>${t('status.' + s)}</option>`)}</select></span>
      <span><label for="f-class">${t('filter.class')}</label>
        <select id="f-class" value=${filters.cls} onChange=${set('cls')}><option value="">${t('filter.all')}</option>
          ${classes.map((c) => html`<option value=${c}>${c}</option>`)}</select></span>
    </div>
  </div>`;
}

function UnitList({ data, units }) {
  if (!units.length) return html`<p>${t('filter.none')}</p>`;
  return html`<ul class="list" data-testid="units">${units.map((u) => {
    const status = unitStatus(data, u), cls = classOf(data, u);
    return html`<li><a class="item" href=${'#/u/' + u.id}>
      <span><strong>${u.name}</strong><br /><span class="small">${t('kind.' + u.kind)}</span></span>
      <span class=${'tag ' + status}>${t('status.' + status)}${cls ? ` · ${cls}` : ''}</span></a></li>`;
  })}</ul>`;
}
