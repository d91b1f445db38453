// The review queue (online): lock a commune (or, for the branch, a transaction office) in one
// action (/api/workflow/lock) with the sheets refused and why, the open conflict records
// (/api/review/conflicts) and the sheets needing review, the branch's campaign close, and the
// resolution form of one record (a value for its field, with a reason).
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { authed } from '../api.js';
import { formatDateTime, formatNumber, t } from '../i18n.js';
import { unitOfSheet } from '../status.js';
import { isBranch, useApi } from './review.js';
import { CloseCampaign } from './reviewBranch.js';

/** The server's lock refusal in the user's words (its English part tells which). */
const lockWhy = (reason) => (/draft/.test(reason) ? t('lock.draft') : /conflict/.test(reason) ? t('lock.conflicts')
  : /not scored/.test(reason) ? t('lock.notScored') : reason);

export function Queue({ session }) {
  const [communes] = useApi(session, '/api/results/summary?level=commune');
  const [conflicts, err] = useApi(session, '/api/review/conflicts?status=open');
  const [sheets] = useApi(session, '/api/results/units?needs_review=true&limit=100');
  const [offices] = useApi(session, isBranch(session) ? '/api/results/summary?level=pgd' : null);
  const names = Object.fromEntries((communes?.rows || []).map((r) => [r.code, r.name]));
  const officeNames = Object.fromEntries((offices?.rows || []).map((r) => [r.code, r.name]));
  return html`<main>
    <${Lock} session=${session} names=${names} officeNames=${officeNames} />
    <section class="card" aria-labelledby="q-title"><h2 id="q-title">${t('queue.title')}</h2>
      ${err && html`<p class="error" role="alert">${err}</p>`}
      ${conflicts && !conflicts.conflicts.length && html`<p data-testid="no-queue">${t('queue.empty')}</p>`}
      ${conflicts?.conflicts.length > 0 && html`<ul class="list" data-testid="queue">${conflicts.conflicts.map((c) => html`<li><a class="item" href=${'#/q/' + c.id}>
        <span><strong>${unitOfSheet(c.doc_id)}</strong><br /><span class="small">${names[c.commune_code] || c.commune_code} · ${t('review.conflictOn', { field: c.field || c.kind })}</span></span>
        <span class="tag draft">${t('review.resolve')}</span></a></li>`)}</ul>`}
    </section>
    <section class="card" aria-labelledby="nr-title"><h2 id="nr-title">${t('queue.needsReview')}</h2>
      ${sheets && !sheets.rows.length && html`<p>${t('queue.noSheets')}</p>`}
      <ul class="list">${(sheets?.rows || []).map((r) => html`<li><a class="item" href=${'#/r/u/' + encodeURIComponent(r.result_id)}>
        <span>${r.name}</span><span class="tag">${t('kind.' + r.unit_kind)}</span></a></li>`)}</ul>
    </section>
    ${isBranch(session) && html`<${CloseCampaign} session=${session} />`}
  </main>`;
}

function Lock({ session, names, officeNames }) {
  const [scope, setScope] = useState('commune');
  const [code, setCode] = useState('');
  const [state, setState] = useState({ busy: false, outcome: null, error: null });
  const places = scope === 'office' ? officeNames : names;
  const codes = Object.keys(places);
  const chosen = codes.includes(code) ? code : codes[0] || '';
  const office = scope === 'office';
  async function lock(e) {
    e.preventDefault();
    if (!chosen || !confirm(t(office ? 'lock.confirmOffice' : 'lock.confirm', { name: places[chosen] }))) return;
    setState({ busy: true, outcome: null, error: null });
    try {
      const outcome = await authed(session)('/api/workflow/lock', { method: 'POST', body: { scope, code: chosen } });
      setState({ busy: false, outcome, error: null });
    } catch (err) {
      setState({ busy: false, outcome: null, error: err.status === 409 ? t('lock.closed') : err.message });
    }
  }
  const o = state.outcome;
  return html`<section class="card" aria-labelledby="lock-title"><h2 id="lock-title">${t('lock.title')}</h2>
    <form onSubmit=${lock}>
      ${isBranch(session) && html`<fieldset class="plain"><legend>${t('lock.scope')}</legend>
        ${['commune', 'office'].map((k) => html`<label class="choice"><input type="radio" name="lock-scope" value=${k} checked=${scope === k}
          onChange=${() => { setScope(k); setCode(''); setState({ busy: false, outcome: null, error: null }); }} /> ${t(k === 'office' ? 'level.pgd' : 'level.commune')}</label>`)}</fieldset>`}
      <label for="lock-place">${t(office ? 'level.pgd' : 'level.commune')}</label>
      <select id="lock-place" value=${chosen} onChange=${(e) => setCode(e.target.value)}>
        ${codes.map((c) => html`<option value=${c}>${places[c]}</option>`)}</select>
      <p class="small">${t(office ? 'lock.helpOffice' : 'lock.help')}</p>
      <button type="submit" class="primary" disabled=${state.busy || !chosen}>${state.busy ? t('lock.busy') : t(office ? 'lock.submitOffice' : 'lock.submit')}</button>
    </form>
    ${state.error && html`<p class="error" role="alert">${state.error}</p>`}
    ${o && html`<div role="status" data-testid="lock-outcome">
      <p class="notice">${t('lock.done', { locked: formatNumber(o.locked.length), already: formatNumber(o.already.length), refused: formatNumber(o.refused.length) })}</p>
      ${o.refused.length > 0 && html`<h3>${t('lock.refused')}</h3><ul data-testid="lock-refused">${o.refused.map((r) => html`<li>
        <strong>${unitOfSheet(r.id)}</strong> (${t('status.' + r.status)}): ${lockWhy(r.reason)}</li>`)}</ul>`}
    </div>`}
  </section>`;
}

const valueText = (v) => (!v.present ? t('resolve.absent') : typeof v.value === 'number' ? formatNumber(v.value, 2) : typeof v.value === 'object' ? JSON.stringify(v.value) : String(v.value));

export function Resolve({ session, id }) {
  const [record, err] = useApi(session, '/api/review/conflicts/' + encodeURIComponent(id));
  const [choice, setChoice] = useState(null);
  const [reason, setReason] = useState('');
  const [state, setState] = useState({ busy: false, done: false, error: null });
  if (err) return html`<main><p class="error card" role="alert">${err}</p></main>`;
  if (!record) return html`<main><p class="card">${t('app.loading')}</p></main>`;
  const options = record.kind === 'deleted'
    ? [{ key: 'keep', label: t('resolve.keep'), body: { keep: true } }, { key: 'drop', label: t('resolve.delete'), body: { keep: false } }]
    : record.values.map((v, i) => ({ key: String(i), label: `${valueText(v)} · ${v.scorer || '–'} · ${v.updated_at ? formatDateTime(v.updated_at) : '–'}`,
      body: record.kind === 'locked' ? { rev: v.rev } : { present: v.present, value: v.value } }));
  async function submit(e) {
    e.preventDefault();
    const picked = options.find((o) => o.key === choice);
    if (!picked) return setState({ ...state, error: t('resolve.pick') });
    if (reason.trim().length < 3) return setState({ ...state, error: t('resolve.needReason') });
    setState({ busy: true, done: false, error: null });
    try {
      await authed(session)(`/api/review/conflicts/${encodeURIComponent(id)}/resolve`, { method: 'POST', body: { ...picked.body, reason: reason.trim().normalize('NFC') } });
      setState({ busy: false, done: true, error: null });
    } catch (ex) {
      setState({ busy: false, done: false, error: ex.status === 409 ? t('resolve.stale') : ex.message });
    }
  }
  if (state.done || record.status !== 'open') return html`<main><p class="card notice" role="status">${t('resolve.done')} <a href="#/q">${t('queue.back')}</a></p></main>`;
  return html`<main><form class="card" onSubmit=${submit}>
    <h2>${unitOfSheet(record.doc_id)}</h2>
    <p class="small">${t('review.conflictOn', { field: record.field || record.kind })} · ${formatDateTime(record.created_at)}</p>
    ${record.kind === 'clash' && html`<p class="small">${t('resolve.ancestor', { value: valueText(record.ancestor) })}</p>`}
    <fieldset><legend>${t('resolve.choose')}</legend>
      ${options.map((o) => html`<label class="choice"><input type="radio" name="choice" value=${o.key} checked=${choice === o.key} onChange=${() => setChoice(o.key)} /> ${o.label}</label>`)}
    </fieldset>
    <label for="reason">${t('resolve.reason')}</label>
    <textarea id="reason" value=${reason} onInput=${(e) => setReason(e.target.value)} aria-required="true"></textarea>
    ${state.error && html`<p class="error" role="alert">${state.error}</p>`}
    <button type="submit" class="primary" disabled=${state.busy}>${t('resolve.submit')}</button>
  </form></main>`;
}
