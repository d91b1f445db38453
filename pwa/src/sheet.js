// A score sheet as the server validates it (scoring.sheet.ScoreSheet, server/validation.py):
// `sheet:<campaign>:<unit kind>:<unit code>:<period>` in the unit's commune database, money and
// counts as integers, decimals as strings (never floats), manual points as decimal strings.
import { compileSet, scoreSheet } from '../js/criteria.mjs';
import { explainSheet } from '../js/explain.mjs';
import { t } from './i18n.js';
import { notePending, localDb } from './sync.js';

const MONEY = /^(du_no|no_qua_han|lai_|goc_|so_du_|tang_tiet_kiem|ke_hoach_tang|gia_tri_)/;
export const inputUnit = (name) => (MONEY.test(name) ? 'money' : 'count');

/** `[value, error]` for the text typed in an input: integers only (money, counts). */
export function parseInput(text) {
  const clean = String(text ?? '').trim().replace(/[.\s]/g, '');
  if (clean === '') return [undefined, null];
  if (!/^\d+$/.test(clean)) return [undefined, t('form.errInteger')];
  const n = Number(clean);
  return Number.isSafeInteger(n) ? [n, null] : [undefined, t('form.errTooBig')];
}

/** `[points string, error]` for manual points: 0..max in steps of 0.1 ("4,5" accepted). */
export function parsePoints(text, max) {
  const clean = String(text ?? '').trim().replace(',', '.');
  if (clean === '') return [undefined, null];
  if (!/^\d+(\.\d)?$/.test(clean)) return [undefined, t('form.errPoints', { max })];
  if (Number(clean) > Number(max)) return [undefined, t('form.errPoints', { max })];
  return [clean, null];
}

const compiled = {};
export function compiledSet(cset) {
  if (!compiled[cset.version]) compiled[cset.version] = compileSet(cset);
  return compiled[cset.version];
}

/** Live preview with the shared evaluator: total and class, and one line per criterion. */
export function preview(cset, kind, inputs, manual) {
  const c = compiledSet(cset);
  const result = scoreSheet(c, kind, inputs, manual);
  return { total: result.total, classification: result.classification, lines: explainSheet(c, result) };
}

/** Write the sheet (new or changed) in its commune database; returns the saved doc. */
export async function saveSheet({ existing, campaign, period, unit, inputs, manual, status, user, device, photo }) {
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const db = localDb(`c-${unit.commune_code}`);
  const doc = {
    ...(existing || {}),
    _id: `sheet:${campaign.id}:${unit.kind}:${unit.code}:${period}`, type: 'sheet',
    campaign: campaign.id, period, unit_kind: unit.kind, unit_code: unit.code, commune_code: unit.commune_code,
    inputs, manual, status, scorer: user, device_id: device,
    created_at: existing?.created_at || now, updated_at: now,
  };
  delete doc.db;
  if (photo) {
    doc._attachments = { ...(existing?._attachments || {}), [`photo-${Date.now()}.jpg`]: { content_type: 'image/jpeg', data: photo } };
  }
  const { rev } = await db.put(doc);
  notePending(doc._id, rev);
  return { ...doc, _rev: rev };
}

/** A photo (camera or file) scaled down on the device to at most `max` px, as a JPEG Blob. */
export async function resizePhoto(file, max = 1600) {
  const bitmap = await createImageBitmap(file);
  const scale = Math.min(1, max / Math.max(bitmap.width, bitmap.height));
  const canvas = document.createElement('canvas');
  canvas.width = Math.round(bitmap.width * scale);
  canvas.height = Math.round(bitmap.height * scale);
  canvas.getContext('2d').drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  bitmap.close();
  return new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', 0.85));
}
