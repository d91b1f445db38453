// One unit's official result for a reviewer (/api/results/units/{id}): points per criterion
// with the explanation, the inputs and their period, evidence, revision history (who, when,
// which device), open conflicting revisions and the conflict records with a link to resolve;
// the evidence photos as thumbnails; for the branch, unlocking a locked sheet with a reason.
import { html } from 'htm/preact';
import { formatDateTime, formatNumber, formatTenths, t } from '../i18n.js';
import { Photos } from './photos.js';
import { isBranch, useApi } from './review.js';
import { Unlock } from './reviewBranch.js';

const show = (value) => (typeof value === 'number' ? formatNumber(value, 2) : value == null ? '–' : typeof value === 'object' ? JSON.stringify(value) : String(value));

export function ResultDetail({ session, id }) {
  const [d, err] = useApi(session, '/api/results/units/' + encodeURIComponent(id));
  if (err) return html`<main><p class="error card" role="alert">${err}</p></main>`;
  if (!d) return html`<main><p class="card">${t('app.loading')}</p></main>`;
  const r = d.result;
  const photos = d.evidence.filter((e) => e.href && e.content_type.startsWith('image/'));
  return html`<main>
    <section class="card official">
      <h2>${d.name}</h2>
      <p class="small">${t('kind.' + r.unit_kind)} · ${t('review.period', { period: d.period_label })} · ${t('review.criteriaSet', { v: r.criteria_version })}</p>
      <p class="total" data-testid="detail-total">${t('review.total', { p: formatTenths(r.total), max: formatTenths(r.max_total) })} · ${r.classification || '–'}</p>
      <p><span class=${'tag ' + r.sheet_status} data-testid="detail-status">${t('status.' + r.sheet_status)}</span>
        ${r.needs_review && html` <span class="tag draft">${t('review.needsReview')}</span>`}
        ${d.stale && html` <span class="small">${t('review.stale')}</span>`}</p>
      <p class="small">${t('review.scoredAt', { at: formatDateTime(r.scored_at) })}</p>
    </section>
    <section class="card"><h2>${t('review.criteria')}</h2>
      <ol class="criteria" data-testid="criteria">${r.criteria.map((c) => html`<li>
        <strong>${c.id} ${formatTenths(c.points)}/${formatTenths(c.max_points)}</strong> ${c.label_vi}
        <br /><span class="small">${c.explanation}</span></li>`)}</ol>
    </section>
    <section class="card"><h2>${t('review.inputs', { period: d.period_label })}</h2>
      <dl class="pairs" data-testid="inputs">${Object.entries(d.inputs).map(([k, v]) => html`<dt>${t('input.' + k) !== 'input.' + k ? t('input.' + k) : k}</dt><dd>${show(v)}</dd>`)}
        ${Object.entries(d.manual).map(([k, v]) => html`<dt>${k}</dt><dd>${show(v?.points)}${v?.deduction_reason ? ' · ' + v.deduction_reason : ''}${v?.evidence ? ' · ' + v.evidence : ''}</dd>`)}</dl>
      ${d.evidence.length > 0 && html`<p class="small">${t('review.evidence', { n: formatNumber(d.evidence.length) })}</p>`}
      <${Photos} session=${session} items=${photos} unit=${d.name} />
    </section>
    ${r.sheet_status === 'locked' && (isBranch(session)
      ? html`<${Unlock} key=${r.sheet_rev} session=${session} result=${r} />`
      : html`<p class="card small">${t('unlock.branchOnly')}</p>`)}
    <section class="card"><h2>${t('review.history')}</h2>
      <ol class="history" data-testid="history">${d.history.map((h) => html`<li>
        ${h.updated_at ? formatDateTime(h.updated_at) : '–'} · ${h.scorer || '–'} · ${h.device || '–'} · ${h.status ? t('status.' + h.status) : ''}</li>`)}</ol>
    </section>
    <section class="card"><h2>${t('review.conflicts')}</h2>
      ${!d.records.length && !d.conflicts.length ? html`<p data-testid="no-conflicts">${t('review.noConflicts')}</p>` : ''}
      <ul class="list">${d.records.map((c) => html`<li>
        ${c.status === 'open'
          ? html`<a class="item" href=${'#/q/' + c.id}><span>${t('review.conflictOn', { field: c.field || c.kind })}</span><span class="tag draft">${t('review.resolve')}</span></a>`
          : html`<p>${t('review.conflictOn', { field: c.field || c.kind })} · ${t('review.resolvedBy', { who: c.resolved_by || '–' })}</p>`}</li>`)}</ul>
      ${d.conflicts.length > 0 && html`<p class="small">${t('review.openRevs', { n: formatNumber(d.conflicts.length) })}</p>`}
    </section>
  </main>`;
}
