// The scoring form, generated from the unit kind's criteria set: typed inputs with units and
// validation, manual criteria with evidence and deduction reason, photo evidence, the live
// preview (shared JS evaluator), the period whose bank figures are used; draft or submit;
// then the server's official result and the "needs review" / "locked" / refused notices.
import { html } from 'htm/preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { sheetId } from '../data.js';
import { formatDate, formatDateTime, formatMoney, formatTenths, t } from '../i18n.js';
import { inputUnit, parseInput, parsePoints, preview, resizePhoto, saveSheet } from '../sheet.js';
import { useStore } from '../store.js';
import { syncState } from '../sync.js';

function initial(sheet, kind) {
  const inputs = {}, manual = {};
  for (const name of Object.keys(kind.inputs)) inputs[name] = sheet?.inputs?.[name] != null ? String(sheet.inputs[name]) : '';
  for (const c of kind.criteria.filter((c) => c.rule.manual)) {
    const e = sheet?.manual?.[c.id] || {};
    manual[c.id] = { points: e.points != null ? String(e.points).replace('.', ',') : '', evidence: e.evidence || '', deduction_reason: e.deduction_reason || '' };
  }
  return { inputs, manual };
}

function parsed(form, kind, base) {
  const inputs = { ...(base?.inputs || {}) }, manual = {}, errors = {};
  for (const [name, text] of Object.entries(form.inputs)) {
    const [value, err] = parseInput(text);
    if (err) errors['in-' + name] = err;
    if (value === undefined) delete inputs[name]; else inputs[name] = value;
  }
  for (const c of kind.criteria.filter((c) => c.rule.manual)) {
    const e = form.manual[c.id];
    const [points, err] = parsePoints(e.points, c.max_points);
    if (err) errors['m-' + c.id] = err;
    if (points !== undefined) manual[c.id] = { points, evidence: e.evidence.trim().normalize('NFC'), deduction_reason: e.deduction_reason.trim().normalize('NFC') };
  }
  return { inputs, manual, errors };
}

function submitErrors(kind, values) {
  const errors = { ...values.errors };
  for (const c of kind.criteria.filter((c) => c.rule.manual)) {
    const e = values.manual[c.id];
    if (!e) errors['m-' + c.id] = t('form.errNeedPoints');
    else if (c.rule.manual.require_reason_below_max && Number(e.points) < Number(c.max_points) && !e.deduction_reason) {
      errors['r-' + c.id] = t('form.errNeedReason');
    }
  }
  return errors;
}

export function SheetForm({ data, unit, session }) {
  const campaign = data.campaign, cset = data.criteria, kind = cset.unit_kinds[unit.kind];
  const sync = useStore(syncState);
  const [period, setPeriod] = useState(campaign.periods[0].id);
  const id = sheetId(campaign.id, unit.id, period);
  const sheet = data.sheets[id], result = data.results[id];
  const [form, setForm] = useState(() => initial(sheet, kind));
  const [photo, setPhoto] = useState(null);
  const [shown, setShown] = useState({});
  const [notice, setNotice] = useState(null);
  useEffect(() => { setForm(initial(data.sheets[id], kind)); setShown({}); }, [id, sheet?._rev]);
  const photoUrl = useMemo(() => (photo ? URL.createObjectURL(photo) : null), [photo]);
  const values = parsed(form, kind, sheet);
  const live = preview(cset, unit.kind, values.inputs, values.manual);
  const locked = sheet?.status === 'locked';
  const refused = sync.refused[id];
  const periodInfo = campaign.periods.find((p) => p.id === period);
  const setInput = (name) => (e) => setForm({ ...form, inputs: { ...form.inputs, [name]: e.target.value } });
  const setManual = (cid, field) => (e) => setForm({ ...form, manual: { ...form.manual, [cid]: { ...form.manual[cid], [field]: e.target.value } } });

  async function save(status) {
    const errors = status === 'submitted' ? submitErrors(kind, values) : values.errors;
    setShown(errors);
    if (Object.keys(errors).length) { setNotice({ error: true, text: t('form.fixErrors', { n: Object.keys(errors).length }) }); return; }
    await saveSheet({ existing: sheet, campaign, period, unit, inputs: values.inputs, manual: values.manual, status, user: session.name, device: session.device, photo });
    setPhoto(null);
    setNotice({ error: false, text: status === 'submitted' ? t('form.submitted') : t('form.saved') });
  }

  const field = (key) => shown[key] && html`<p class="error" id=${'e-' + key}>${shown[key]}</p>`;
  return html`<main class="sheet" data-unit=${unit.id}>
    <section class="card">
      <p><strong>${unit.name}</strong> · ${t('kind.' + unit.kind)}</p>
      ${campaign.periods.length > 1 && html`<label for="period">${t('form.period')}</label>
        <select id="period" value=${period} onChange=${(e) => setPeriod(e.target.value)}>
          ${campaign.periods.map((p) => html`<option value=${p.id}>${p.label}</option>`)}</select>`}
      <p class="small" data-testid="bank-period">${t('form.bankPeriod', { label: periodInfo.label, start: formatDate(periodInfo.start), end: formatDate(periodInfo.end) })}</p>
      <p data-testid="sheet-status" class=${'tag ' + (sheet?.status || 'none')}>${t('status.' + (sheet?.status || 'none'))}</p>
      ${locked && html`<p class="notice" role="status">${t('form.locked')}</p>`}
      ${refused && html`<p class="error" role="alert" data-testid="refused-reason">${t('form.refused', { reason: refused.text })}</p>`}
      ${result && html`<div class="official" data-testid="official">
        <h2>${t('result.title')}</h2>
        <p>${t('result.total', { total: result.total.replace('.', ','), max: result.max_total.replace('.', ','), cls: result.classification })}</p>
        ${result.needs_review && html`<p class="notice">${t('result.needsReview')}</p>`}
        ${sheet && result.sheet_rev !== sheet._rev && html`<p class="small">${t('result.stale')}</p>`}
        <p class="small">${t('result.scoredAt', { at: formatDateTime(result.scored_at) })}</p>
      </div>`}
    </section>
    <form onSubmit=${(e) => { e.preventDefault(); save('submitted'); }}>
    <fieldset class="card" disabled=${locked}>
      <legend>${t('form.inputs')}</legend>
      ${Object.entries(kind.inputs).map(([name, spec]) => {
        const unitName = inputUnit(name), value = values.inputs[name];
        return html`<div class="field">
          <label for=${'in-' + name}>${spec.desc || t('input.' + name)} <span class="small">(${t('unit.' + unitName)}${spec.source === 'bank_export' ? ' · ' + t('form.fromBank') : ''})</span></label>
          <input id=${'in-' + name} inputmode="numeric" value=${form.inputs[name]} onInput=${setInput(name)}
            aria-invalid=${shown['in-' + name] ? 'true' : 'false'} aria-describedby=${shown['in-' + name] ? 'e-in-' + name : undefined} />
          ${unitName === 'money' && value != null && html`<p class="small">${formatMoney(value)}</p>`}
          ${field('in-' + name)}</div>`;
      })}
    </fieldset>
    ${kind.criteria.filter((c) => c.rule.manual).map((c) => html`<fieldset class="card" disabled=${locked}>
      <legend>${c.id}. ${c.label_vi}</legend>
      <label for=${'m-' + c.id}>${t('form.points', { max: c.max_points })}</label>
      <input id=${'m-' + c.id} inputmode="decimal" value=${form.manual[c.id].points} onInput=${setManual(c.id, 'points')}
        aria-invalid=${shown['m-' + c.id] ? 'true' : 'false'} />
      ${field('m-' + c.id)}
      <label for=${'ev-' + c.id}>${t('form.evidence')}</label>
      <textarea id=${'ev-' + c.id} rows="2" value=${form.manual[c.id].evidence} onInput=${setManual(c.id, 'evidence')}></textarea>
      <label for=${'r-' + c.id}>${t('form.reason')}</label>
      <textarea id=${'r-' + c.id} rows="2" value=${form.manual[c.id].deduction_reason} onInput=${setManual(c.id, 'deduction_reason')}></textarea>
      ${field('r-' + c.id)}
    </fieldset>`)}
    <fieldset class="card" disabled=${locked}>
      <legend>${t('form.photo')}</legend>
      <label for="photo" class="button">${t('form.photoPick')}</label>
      <input id="photo" class="visually-hidden" type="file" accept="image/*" capture="environment"
        onChange=${async (e) => { const f = e.target.files[0]; if (f) setPhoto(await resizePhoto(f)); }} />
      <p class="small" data-testid="photos">${t('form.photoCount', { n: Object.keys(sheet?._attachments || {}).length })}</p>
      ${photoUrl && html`<img class="photo" src=${photoUrl} alt=${t('form.photoPreview')} />`}
    </fieldset>
    <section class="card preview" aria-live="polite">
      <h2>${t('preview.title')}</h2>
      <p class="total" data-testid="preview-total">${t('preview.total', { total: formatTenths(live.total), cls: live.classification })}</p>
      <ol>${live.lines.map((l) => html`<li><strong>${l.id}</strong> ${formatTenths(l.points)}/${formatTenths(l.max_points)} — <span class="small">${l.text}</span></li>`)}</ol>
      <p class="small">${t('preview.note')}</p>
    </section>
    ${notice && html`<p class=${notice.error ? 'error' : 'notice'} role=${notice.error ? 'alert' : 'status'}>${notice.text}</p>`}
    <div class="actions">
      <button type="button" disabled=${locked} onClick=${() => save('draft')}>${t('form.saveDraft')}</button>
      <button type="submit" class="primary" disabled=${locked}>${t('form.submit')}</button>
    </div>
    </form>
  </main>`;
}
