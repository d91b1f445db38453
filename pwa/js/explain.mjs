// Vietnamese explanations of a criteria.mjs result: the same sentences as scoring/explain.py,
// e.g. "Tỷ lệ nợ quá hạn 0,35% ≤ 0,5% → 25/30 điểm". Plain ES module, browser and Node.
import {
  BANK_NOT_NUMBER, BANK_NOT_TENTHS, BANK_OUT_OF_RANGE, BANK_POINTS, CLASS_BANK, CLASS_BANK_EMPTY,
  CLASS_BANK_UNKNOWN, CLASS_POINTS, DEN_ZERO_SKIP, GATE_FAILED, INVALID, MANUAL_INVALID,
  MANUAL_MISSING, MEAN_OF_MONTHS, MISSING, parseExact, roundHalfUp, tenths,
} from './criteria.mjs';

const rational = parseExact;

const SYMBOL = { '>=': '≥', '>': '>', '<=': '≤', '<': '<', '==': '=' };

function group3(digits) {
  const parts = [];
  while (digits.length > 3) { parts.unshift(digits.slice(-3)); digits = digits.slice(0, -3); }
  parts.unshift(digits);
  return parts.join('.');
}

/** Rational [n, d] as Vietnamese text: '.' thousands, ',' decimals, rounded half up. */
export function formatVi([n, d], decimals = 2) {
  const scale = 10n ** BigInt(decimals);
  const scaled = roundHalfUp(n * scale, d);
  const neg = scaled < 0n, a = neg ? -scaled : scaled;
  let text = (neg ? '-' : '') + group3(String(a / scale));
  if (decimals) {
    const frac = String(a % scale).padStart(decimals, '0').replace(/0+$/, '');
    if (frac) text += ',' + frac;
  }
  return text;
}

/** Tenths of a point: 125 -> "12,5". */
export const formatPoints = (t) => formatVi([BigInt(t), 10n], 1);
const outOf = (p, max) => `${formatPoints(p)}/${formatPoints(max)} điểm`;
const eq = (a, b) => a[0] * b[1] === b[0] * a[1];

function formatMeasure(v, m, others = []) {
  const percent = (m.display || (m.value != null ? 'number' : 'percent')) === 'percent';
  const scale = percent ? 100n : 1n;
  const near = others.filter((o) => !eq(o, v));
  let text;
  for (let dec = 2; dec < 9; dec++) {
    text = formatVi([v[0] * scale, v[1]], dec);
    if (near.every((o) => text !== formatVi([o[0] * scale, o[1]], dec))) break;
  }
  return text + (percent ? '%' : '');
}

const BANK_FAILED = {
  [BANK_NOT_NUMBER]: 'không phải là số; phải từ 0 đến',
  [BANK_OUT_OF_RANGE]: 'ngoài khoảng 0 đến',
  [BANK_NOT_TENTHS]: 'không là bội số của 0,1; phải từ 0 đến',
};

function failureText(status, detail, c, maxT) {
  const zero = outOf(0n, maxT);
  if (status === MISSING) return `Thiếu số liệu: ${detail} → ${zero}`;
  if (status === INVALID) return `Số liệu không hợp lệ: ${detail} → ${zero}`;
  if (status === DEN_ZERO_SKIP) return `${detail} bằng 0, không chấm được → ${zero}`;
  if (status === MANUAL_MISSING) return `Chưa chấm → ${zero}`;
  if (status === MANUAL_INVALID) return `Điểm nhập không hợp lệ (${detail}; phải từ 0 đến ${formatPoints(maxT)}) → ${zero}`;
  if (BANK_FAILED[status]) {
    const [code, raw] = detail, v = parseExact(raw);
    const shown = v !== null ? ` = ${formatVi(v, 8)}` : '';
    return `Điểm hệ thống NHCSXH (${code})${shown} ${BANK_FAILED[status]} ${formatPoints(maxT)} → ${zero}`;
  }
  if (status === GATE_FAILED && c.require) {
    const r = c.require;
    return `Không đạt điều kiện ${r.input} ${SYMBOL[r.op]} ${formatVi(rational(r.value))} → ${zero}`;
  }
  return null;
}

function measuredText(c, points, m, maxT) {
  const value = [m.n, m.d];
  const label = c.measure.label_vi || c.label_vi;
  const prefix = m.dz ? 'Mẫu số bằng 0, coi như ' : '';
  let text, base;
  if (c.rule.bands && m.idx >= 0) {
    const band = c.rule.bands[m.idx], t = rational(band.value);
    const edges = c.rule.bands.map((b) => rational(b.value));
    text = `${label} ${prefix}${formatMeasure(value, c.measure, edges)} ${SYMBOL[band.op]} ${formatMeasure(t, c.measure)}`;
    base = tenths(band.points);
  } else {
    const [fp, fq] = c.rule.linear ? rational(c.rule.linear.full_at) : [1n, 1n];
    let share = [m.n * fq, m.d * fp];
    if (share[0] < 0n) share = [0n, 1n];
    if (share[0] > share[1]) share = [1n, 1n];
    text = `${label} ${prefix}${formatMeasure(value, c.measure)}: ${formatPoints(maxT)} × ${formatVi([share[0] * 100n, share[1]])}%`;
    base = points;
  }
  const ded = c.deduct_per_item;
  if (m.k[0] !== 0n && ded) {
    text += `; trừ ${formatVi(m.k)} ${ded.label_vi || ded.input} × ${formatVi(rational(ded.points))} điểm`;
  } else if (base !== points) {
    text += ` (${formatPoints(base)} điểm)`;
  }
  return `${text} → ${outOf(points, maxT)}`;
}

function criterionText(c, [points, status, detail]) {
  const maxT = tenths(c.max_points);
  const fail = failureText(status, detail, c, maxT);
  if (fail !== null) return fail;
  if (status === MEAN_OF_MONTHS) {
    const parts = detail.map(([m, p]) => `${monthVi(m)}: ${formatPoints(p)}`).join(', ');
    return `Trung bình ${detail.length} tháng (${parts}) → ${outOf(points, maxT)}`;
  }
  if (status === BANK_POINTS) {
    const text = `Điểm hệ thống NHCSXH (CDTOTKVV): ${outOf(points, maxT)}`;
    return text + (detail[2] ? '; có cả số liệu gốc nhưng điểm hệ thống được ưu tiên, không tính theo công thức' : '');
  }
  const rule = c.rule;
  if (rule.manual) {
    const e = detail && typeof detail === 'object' ? detail : {};
    let text = `Điểm chấm ${outOf(points, maxT)}`;
    if (e.evidence) text += `; minh chứng: ${e.evidence}`;
    if (points < maxT) text += e.deduction_reason ? `; lý do trừ điểm: ${e.deduction_reason}` : '; chưa ghi lý do trừ điểm';
    return text;
  }
  if (rule.sum) {
    const texts = rule.sum.map((p, i) => `${p.label_vi}: ${criterionText(p, detail[i])}`);
    return `${texts.join('; ')} → tổng ${outOf(points, maxT)}`;
  }
  if (rule.per_item) {
    const pi = rule.per_item, per = rational(pi.points), positive = per[0] >= 0n;
    const sign = positive ? '+ ' : '− ';
    const baseR = rational(pi.base);
    const base = baseR[0] !== 0n ? `${formatVi(baseR)} ${sign}` : (positive ? '' : sign);
    const abs = [positive ? per[0] : -per[0], per[1]];
    return `${base}${detail} mục × ${formatVi(abs)} điểm (${pi.input}) → ${outOf(points, maxT)}`;
  }
  return measuredText(c, points, detail, maxT);
}

export const monthVi = (m) => `${m.slice(5)}/${m.slice(0, 4)}`;

const CLASS_TEXT = {
  [CLASS_BANK]: 'Xếp loại theo hệ thống NHCSXH',
  [CLASS_BANK_EMPTY]: 'Cột xếp loại của tệp NHCSXH để trống hoặc bằng 0, xếp loại tính lại từ tổng điểm',
  [CLASS_BANK_UNKNOWN]: 'Cột xếp loại của tệp NHCSXH không phải một loại đã biết, xếp loại tính lại từ tổng điểm',
  [CLASS_POINTS]: 'Xếp loại theo tổng điểm',
};

/** Where the class comes from and which months fed the score (scoring/explain.py explain_class). */
export function explainClass(compiled, result) {
  let text = CLASS_TEXT[result.class_source] || CLASS_TEXT[CLASS_POINTS];
  if (result.class_source === CLASS_BANK) text += `: ${result.classification}`;
  else {
    const bands = compiled.cset.classification_scales[compiled.cset.unit_kinds[result.kind].scale].bands;
    const band = bands.find((b) => BigInt(result.total) >= tenths(b.min)) || bands[bands.length - 1];
    text += ` ${formatPoints(result.total)} ≥ ${formatPoints(tenths(band.min))}: ${result.computed_class}`;
    if (result.forced_by !== null) text += `; quy tắc ${result.forced_by} buộc xếp loại ${result.classification}`;
  }
  const months = result.months || [];
  if (months.length === 1) text += `; số liệu tháng ${monthVi(months[0])}`;
  else if (months.length) text += `; trung bình các tháng ${months.map(monthVi).join(', ')}`;
  return text;
}

/** One Vietnamese sentence per criterion of a scoreSheet() result. */
export function explainSheet(compiled, result) {
  const kind = compiled.cset.unit_kinds[result.kind];
  return kind.criteria.map((c, i) => ({
    id: c.id, label_vi: c.label_vi, points: result.points[i],
    max_points: Number(tenths(c.max_points)), text: criterionText(c, result.details[i]),
    source: result.sources[i], tags: c.provenance.tags, assumption: c.provenance.tags.includes('A'),
  }));
}
