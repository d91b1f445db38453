// The branch's actions (online): unlock one locked sheet with a required reason, back to the
// state the branch chooses (/api/workflow/unlock) and close a campaign (/api/workflow/campaigns/{id}/close) after an
// explicit confirmation that closing is final.
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { authed, query } from '../api.js';
import { formatDateTime, formatNumber, t } from '../i18n.js';
import { useApi } from './review.js';

// the campaigns as the server holds them now (online: not the phone's copy)
const CAMPAIGNS = '/db/config/_all_docs' + query({ include_docs: true, startkey: '"campaign:"', endkey: '"campaign:\ufff0"' });

// where an unlocked sheet goes (server/review/policy.py): the reviewers correct it and lock
// again, it waits in the review queue (the scorer may withdraw it), or the scorer corrects it
export const UNLOCK_TARGETS = ['reviewed', 'submitted', 'draft'];

/** The unlock form of a locked sheet's drill-down: a reason is required, and the state the sheet goes back to is chosen. */
export function Unlock({ session, result }) {
  const [reason, setReason] = useState('');
  const [target, setTarget] = useState('reviewed');
  const [state, setState] = useState({ busy: false, done: null, error: null });
  async function submit(e) {
    e.preventDefault();
    const why = reason.normalize('NFC').trim();
    if (why.length < 3) return setState({ busy: false, done: null, error: t('unlock.needReason') });
    setState({ busy: true, done: null, error: null });
    try {
      const done = await authed(session)('/api/workflow/unlock', { method: 'POST', body: { commune: result.commune_code, sheet: result.sheet_id, reason: why, status: target } });
      setState({ busy: false, done, error: null });
    } catch (err) {
      setState({ busy: false, done: null, error: err.status === 409 ? t('unlock.notLocked') : err.message });
    }
  }
  if (state.done) return html`<section class="card"><p class="notice" role="status" data-testid="unlock-done">${t('unlock.done', { status: t('status.' + state.done.status) })}</p></section>`;
  return html`<section class="card" aria-labelledby="unlock-title"><h2 id="unlock-title">${t('unlock.title')}</h2>
    <form onSubmit=${submit} noValidate>
      <label for="unlock-reason">${t('unlock.reason')}</label>
      <textarea id="unlock-reason" value=${reason} aria-required="true" aria-invalid=${state.error ? 'true' : undefined}
        aria-describedby="unlock-help" onInput=${(e) => setReason(e.target.value)}></textarea>
      <p class="small" id="unlock-help">${t('unlock.help')}</p>
      <fieldset class="plain"><legend>${t('unlock.target')}</legend>
        ${UNLOCK_TARGETS.map((k) => html`<label class="choice"><input type="radio" name="unlock-target" value=${k} checked=${target === k}
          onChange=${() => setTarget(k)} /> ${t('unlock.to.' + k)}</label>`)}
      </fieldset>
      ${state.error && html`<p class="error" role="alert">${state.error}</p>`}
      <button type="submit" class="danger" disabled=${state.busy}>${state.busy ? t('unlock.busy') : t('unlock.submit')}</button>
    </form></section>`;
}

/** Close the current campaign: an explicit confirmation (closing is final) before the call. */
export function CloseCampaign({ session }) {
  const [listing, listErr] = useApi(session, CAMPAIGNS);
  const [confirming, setConfirming] = useState(false);
  const [understood, setUnderstood] = useState(false);
  const [state, setState] = useState({ busy: false, done: null, error: null });
  const campaign = (listing?.rows || []).map((r) => r.doc).filter(Boolean).sort((a, b) => b.year - a.year)[0];
  if (listErr) return html`<section class="card"><p class="error" role="alert">${listErr}</p></section>`;
  if (!campaign) return html`<section class="card"><p>${t('app.loading')}</p></section>`;
  const id = campaign.id || campaign._id.slice('campaign:'.length);
  const name = campaign.name || id;
  async function close(e) {
    e.preventDefault();
    if (!understood) return setState({ ...state, error: t('close.tick') });
    setState({ busy: true, done: null, error: null });
    try {
      const done = await authed(session)(`/api/workflow/campaigns/${encodeURIComponent(id)}/close`, { method: 'POST' });
      setState({ busy: false, done, error: null });
      setConfirming(false);
    } catch (err) {
      setState({ busy: false, done: null, error: err.status === 409 ? t('close.already') : err.message });
    }
  }
  const o = state.done;
  const closedAt = o?.closed_at || campaign.closed_at;
  return html`<section class="card" aria-labelledby="close-title"><h2 id="close-title">${t('close.title')}</h2>
    <p>${t('close.campaign', { name })}</p>
    ${closedAt && html`<p class="notice" role="status" data-testid="close-done">${t('close.closed', { at: formatDateTime(closedAt), who: o?.closed_by || campaign.closed_by || '–' })}
      ${o && html`<br />${t('close.counts', { results: formatNumber(o.results), locked: formatNumber(o.locked), v: o.criteria_version })}`}</p>`}
    ${!closedAt && !confirming && html`<p class="small">${t('close.help')}</p>
      <button type="button" class="danger" onClick=${() => setConfirming(true)}>${t('close.start')}</button>`}
    ${!closedAt && confirming && html`<form onSubmit=${close} data-testid="close-confirm" aria-labelledby="close-warn">
      <p class="error" id="close-warn">${t('close.warning', { name })}</p>
      <label class="choice"><input type="checkbox" checked=${understood} onChange=${(e) => setUnderstood(e.target.checked)} /> ${t('close.understand')}</label>
      <div class="actions2">
        <button type="button" onClick=${() => { setConfirming(false); setUnderstood(false); setState({ busy: false, done: null, error: null }); }}>${t('close.cancel')}</button>
        <button type="submit" class="danger" disabled=${state.busy}>${state.busy ? t('close.busy') : t('close.submit')}</button>
      </div>
    </form>`}
    ${state.error && html`<p class="error" role="alert">${state.error}</p>`}
  </section>`;
}
