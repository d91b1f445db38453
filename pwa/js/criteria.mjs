// Criteria evaluator for on-device preview: the same criteria data (pwa/criteria/<version>.json,
// rendered by `python -m scoring.criteria`) and the same exact rules as scoring/engine.py.
// Measures are BigInt pairs (n, d) with d > 0; a band test is n*q <op> p*d; points are
// integer tenths. Works in the browser and in Node (plain ES module, no dependencies).

export const OK = 0, MISSING = 1, INVALID = 2, DEN_ZERO_SKIP = 3,
  MANUAL_MISSING = 4, MANUAL_INVALID = 5, GATE_FAILED = 6;
// Bank-export points (scoring/bankpoints.py): a criterion with `code_export` whose key is in
// the inputs takes VBSP's own points (CDTOTKVV) instead of its formula, even when raw inputs
// are present too; an invalid value scores 0 with one of the reasons below.
export const BANK_POINTS = 7, BANK_NOT_NUMBER = 8, BANK_OUT_OF_RANGE = 9, BANK_NOT_TENTHS = 10;
export const MEAN_OF_MONTHS = 11; // detail: [[month, points], ...] (scoring/engine.py)
const isBank = (status) => status >= BANK_POINTS && status <= BANK_NOT_TENTHS;

const OPS = {
  '>=': (a, b) => a >= b, '>': (a, b) => a > b, '<=': (a, b) => a <= b,
  '<': (a, b) => a < b, '==': (a, b) => a === b,
};

function gcd(a, b) {
  if (a < 0n) a = -a;
  if (b < 0n) b = -b;
  while (b) [a, b] = [b, a % b];
  return a;
}

/** Exact rational [n, d] (d > 0, reduced) from a number, BigInt or decimal string; null if not numeric. */
export function parseExact(v) {
  if (v === null || v === undefined) return null;
  if (typeof v === 'boolean') return [v ? 1n : 0n, 1n];
  if (typeof v === 'bigint') return [v, 1n];
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return null;
    if (Number.isInteger(v)) return [BigInt(v), 1n];
    v = String(v);
  }
  if (typeof v !== 'string') return null;
  let t = v.trim().replace(/ /g, '');
  if (t.includes(',') && !t.includes('.')) t = t.replace(',', '.');
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(t);
  if (!m || (m[2] === '' && (m[3] === undefined || m[3] === ''))) return null;
  const frac = m[3] || '';
  let n = BigInt((m[2] || '0') + frac);
  let d = 10n ** BigInt(frac.length);
  const e = m[4] ? parseInt(m[4], 10) : 0;
  if (e > 0) n *= 10n ** BigInt(e); else if (e < 0) d *= 10n ** BigInt(-e);
  if (m[1] === '-') n = -n;
  const g = gcd(n, d) || 1n;
  return [n / g, d / g];
}

export const tenths = (v) => { const [n, d] = parseExact(v); return (n * 10n) / d; };
const rational = (v) => parseExact(v);

export function roundHalfUp(num, den) {
  if (num >= 0n) return (2n * num + den) / (2n * den);
  return -((-2n * num + den) / (2n * den));
}

class Bad { constructor(status, name) { this.status = status; this.name = name; } }

function reader(name, signed) {
  return (inputs) => {
    const v = inputs[name];
    if (v === undefined || v === null) throw new Bad(MISSING, name);
    const f = parseExact(v);
    if (f === null || (f[0] < 0n && !signed)) throw new Bad(INVALID, name);
    return f;
  };
}

const sub = (a, b) => [a[0] * b[1] - b[0] * a[1], a[1] * b[1]];

function compileMeasure(m, kind) {
  const sig = (n) => kind.inputs[n].signed;
  if (m.value !== null && m.value !== undefined) {
    const read = reader(m.value, sig(m.value));
    return (inputs) => { const [n, d] = read(inputs); return [n, d, false]; };
  }
  const r = m.ratio || m.difference_ratio;
  const den = reader(r.den, sig(r.den));
  const zero = r.if_den_zero === 'skip' ? null : parseExact(r.if_den_zero);
  let num;
  if (m.ratio) num = reader(m.ratio.num, sig(m.ratio.num));
  else {
    const plus = reader(r.plus, sig(r.plus)), minus = reader(r.minus, sig(r.minus));
    num = (inputs) => sub(plus(inputs), minus(inputs));
  }
  return (inputs) => {
    const a = num(inputs), b = den(inputs);
    if (b[0] === 0n) {
      if (zero === null) throw new Bad(DEN_ZERO_SKIP, r.den);
      return [zero[0], zero[1], true];
    }
    let n = a[0] * b[1], d = a[1] * b[0];
    if (d < 0n) { n = -n; d = -d; }
    return [n, d, false];
  };
}

function compileRule(rule, maxT) {
  if (rule.bands) {
    const table = rule.bands.map((b, i) => [OPS[b.op], ...rational(b.value), tenths(b.points), i]);
    return (n, d) => {
      for (const [cmp, p, q, pts, i] of table) if (cmp(n * q, p * d)) return [pts, i];
      return [0n, -1];
    };
  }
  const [fp, fq] = rational(rule.linear.full_at);
  return (n, d) => {
    if (n <= 0n) return [0n, -1];
    const a = n * fq, b = d * fp;
    return a >= b ? [maxT, -1] : [roundHalfUp(maxT * a, b), -1];
  };
}

function manualPoints(entry) {
  if (entry === null || entry === undefined) return null;
  if (typeof entry === 'object') return entry.points ?? null;
  return entry;
}

const failed = (e) => { if (e instanceof Bad) return [0n, e.status, e.name]; throw e; };

// Each compiled criterion returns [points (tenths, BigInt), status, detail]; detail shapes
// follow scoring/engine.py: failure -> input name, manual -> entry, sum -> part results,
// per_item -> count, measured -> {n, d, idx, dz, k}.
function compilePart(c, kind, isCriterion) {
  const maxT = tenths(c.max_points);
  const rule = c.rule;
  let gate = null;
  if (c.require) {
    const read = reader(c.require.input, kind.inputs[c.require.input].signed);
    const cmp = OPS[c.require.op], [gp, gq] = rational(c.require.value);
    gate = (inputs) => { const [n, d] = read(inputs); return cmp(n * gq, gp * d); };
  }
  if (rule.manual) {
    return (inputs, manual) => {
      const entry = manual[c.id];
      const raw = manualPoints(entry);
      if (raw === null) return [0n, MANUAL_MISSING, null];
      const f = parseExact(raw);
      if (f === null || (f[0] * 10n) % f[1] !== 0n) return [0n, MANUAL_INVALID, String(raw)];
      const t = (f[0] * 10n) / f[1];
      if (t < 0n || t > maxT) return [0n, MANUAL_INVALID, String(raw)];
      return [t, OK, entry];
    };
  }
  if (rule.sum) {
    const parts = rule.sum.map((p) => compilePart(p, kind, false));
    return (inputs, manual) => {
      const results = parts.map((p) => p(inputs, manual));
      return [results.reduce((a, r) => a + r[0], 0n), OK, results];
    };
  }
  if (rule.per_item) {
    const count = reader(rule.per_item.input, kind.inputs[rule.per_item.input].signed);
    const per = tenths(rule.per_item.points), base = tenths(rule.per_item.base);
    return (inputs) => {
      let k;
      try { k = count(inputs); } catch (e) { return failed(e); }
      if (k[1] !== 1n) return [0n, INVALID, rule.per_item.input];
      let pts = base + k[0] * per;
      if (pts < 0n) pts = 0n;
      if (pts > maxT) pts = maxT;
      return [pts, OK, k[0]];
    };
  }
  const measure = compileMeasure(c.measure, kind);
  const score = compileRule(rule, maxT);
  const deduct = isCriterion ? c.deduct_per_item : null;
  const dRead = deduct ? reader(deduct.input, kind.inputs[deduct.input].signed) : null;
  const dPer = deduct ? tenths(deduct.points) : 0n;
  return (inputs) => {
    let n, d, dz, k = [0n, 1n];
    try {
      if (gate && !gate(inputs)) return [0n, GATE_FAILED, null];
      [n, d, dz] = measure(inputs);
      if (dRead) k = dRead(inputs);
    } catch (e) {
      return failed(e);
    }
    let [pts, idx] = score(n, d);
    if (k[0] !== 0n) {
      pts -= (k[0] * dPer) / k[1];
      if (pts < 0n) pts = 0n;
    }
    return [pts, OK, { n, d, idx, dz, k }];
  };
}

/** [points (tenths), status] for a bank-export points value (see scoring/bankpoints.py). */
export function bankPoints(raw, maxT) {
  const f = parseExact(raw);
  if (f === null) return [0n, BANK_NOT_NUMBER];
  const [n, d] = [f[0] * 10n, f[1]];
  if (n < 0n || n > maxT * d) return [0n, BANK_OUT_OF_RANGE];
  if (n % d !== 0n) return [0n, BANK_NOT_TENTHS];
  return [n / d, BANK_POINTS];
}

function withBank(c, fn) {
  const code = c.code_export;
  if (!code) return fn;
  const maxT = tenths(c.max_points);
  const m = c.measure, r = m && (m.ratio || m.difference_ratio);
  const rawNames = !m ? [] : m.value != null ? [m.value]
    : m.ratio ? [m.ratio.num, m.ratio.den] : [r.plus, r.minus, r.den];
  return (inputs, manual) => {
    const raw = inputs[code];
    if (raw === undefined || raw === null) return fn(inputs, manual);
    const [pts, status] = bankPoints(raw, maxT);
    return [pts, status, [code, raw, rawNames.every((n) => inputs[n] !== undefined && inputs[n] !== null)]];
  };
}

// Where the class comes from (scoring/engine.py bank_class): the bank's own class when the
// export names a band of the scale (or an alias); 0 or blank -> recomputed from the points.
export const CLASS_BANK = 'bank_export', CLASS_POINTS = 'points',
  CLASS_BANK_EMPTY = 'points_bank_empty', CLASS_BANK_UNKNOWN = 'points_bank_unknown';
const lowerNfc = (t) => t.normalize('NFC').toLowerCase();

export function bankClass(raw, labels) {
  if (raw === undefined || raw === null) return [null, CLASS_POINTS];
  if (typeof raw === 'string') {
    const key = lowerNfc(raw).trim();
    if (Object.prototype.hasOwnProperty.call(labels, key)) return [labels[key], CLASS_BANK];
    const f = parseExact(key);
    return [null, !key || (f !== null && f[0] === 0n) ? CLASS_BANK_EMPTY : CLASS_BANK_UNKNOWN];
  }
  if (typeof raw !== 'boolean') {
    const f = parseExact(raw);
    if (f !== null && f[0] === 0n) return [null, CLASS_BANK_EMPTY];
  }
  return [null, CLASS_BANK_UNKNOWN];
}

const criterionSource = (c, status) => (isBank(status) ? 'bank_export_points' : c.rule.manual ? 'manual' : 'formula');

/** Compile a criteria-set JSON object into {cset, kinds: {name: scorer}}. */
export function compileSet(cset) {
  const kinds = {};
  for (const [name, kind] of Object.entries(cset.unit_kinds)) {
    const crits = kind.criteria.map((c) => withBank(c, compilePart(c, kind, true)));
    const index = Object.fromEntries(kind.criteria.map((c, i) => [c.id, i]));
    const scale = cset.classification_scales[kind.scale].bands.map((b) => [tenths(b.min), b.label_vi]);
    const overrides = (kind.overrides || []).filter((o) => o.enabled).map((o) => [o.id, o.force_class,
      o.when_any.map((w) => [index[w.criterion], OPS[w.op], ...rational(w.value)])]);
    const exclusions = (cset.exclusions || []).map((e) => [e.id, e.flag, OPS[e.op], ...rational(e.value)]);
    const ce = kind.class_export || null;
    const labels = {};
    for (const b of cset.classification_scales[kind.scale].bands) labels[lowerNfc(b.label_vi)] = b.label_vi;
    if (ce) for (const [alias, label] of Object.entries(ce.aliases || {})) labels[lowerNfc(alias).trim()] = label;
    kinds[name] = (inputs, manual, flags, months = []) => {
      const results = crits.map((fn) => fn(inputs, manual));
      const total = results.reduce((a, r) => a + r[0], 0n);
      let computed = scale[scale.length - 1][1];
      for (const [lo, label] of scale) if (total >= lo) { computed = label; break; }
      let label = computed, forced = null, classSource = CLASS_POINTS;
      if (ce) {
        const [bank, src] = bankClass(inputs[ce.input], labels);
        classSource = src;
        if (bank !== null) label = bank;
      }
      outer: for (const [oid, force, conds] of classSource === CLASS_BANK ? [] : overrides) {
        for (const [i, cmp, p, q] of conds) {
          const [, status, m] = results[i];
          if (status === OK && cmp(m.n * q, p * m.d)) { label = force; forced = oid; break outer; }
        }
      }
      const excluded = [];
      for (const [eid, flag, cmp, p, q] of exclusions) {
        const f = parseExact(flags[flag]);
        if (f !== null && cmp(f[0] * q, p * f[1])) excluded.push(eid);
      }
      return {
        kind: name, points: results.map((r) => Number(r[0])), total: Number(total),
        statuses: results.map((r) => r[1]), sources: results.map((r, i) => criterionSource(kind.criteria[i], r[1])),
        classification: label, computed_class: computed, class_source: classSource, months,
        forced_by: forced, excluded, details: results,
      };
    };
  }
  return { cset, version: cset.version, kinds };
}

const classify = (scale, total) => {
  for (const [lo, label] of scale) if (total >= lo) return label;
  return scale[scale.length - 1][1];
};

/** Mean of monthly scores (scoring/engine.py CompiledSet.score_months): `monthly` maps
 * YYYY-MM to that month's complete inputs; each criterion's points are averaged (half up
 * to tenths), the class comes from their sum. */
export function scoreMonths(compiled, kind, monthly, manual = {}, flags = {}) {
  const months = Object.keys(monthly).sort();
  if (!months.length) throw new Error('no month to score');
  if (months.length === 1) return scoreSheet(compiled, kind, monthly[months[0]], manual, flags, months[0]);
  const scores = months.map((m) => scoreSheet(compiled, kind, monthly[m], manual, flags, m));
  const n = BigInt(scores.length);
  const per = scores[0].points.map((_, i) => months.map((m, j) => [m, scores[j].points[i]]));
  const points = per.map((row) => Number(roundHalfUp(row.reduce((a, [, p]) => a + BigInt(p), 0n), n)));
  const total = points.reduce((a, p) => a + p, 0);
  const scale = compiled.cset.classification_scales[compiled.cset.unit_kinds[kind].scale].bands
    .map((b) => [Number(tenths(b.min)), b.label_vi]);
  const label = classify(scale, total);
  const sources = points.map((_, i) => {
    const set = new Set(scores.map((s) => s.sources[i]));
    return set.size === 1 ? [...set][0] : 'mixed';
  });
  return {
    kind, points, total, statuses: points.map(() => MEAN_OF_MONTHS), sources,
    classification: label, computed_class: label, class_source: CLASS_POINTS, months,
    forced_by: null, excluded: scores[0].excluded,
    details: points.map((p, i) => [BigInt(p), MEAN_OF_MONTHS, per[i]]),
  };
}

/** Score one sheet: {points (tenths), total (tenths), classification, forced_by, excluded}. */
export function scoreSheet(compiled, kind, inputs, manual = {}, flags = {}, month = null) {
  const scorer = compiled.kinds[kind];
  if (!scorer) throw new Error(`unknown unit kind ${kind}`);
  return scorer(inputs || {}, manual || {}, flags || {}, month ? [month] : []);
}
