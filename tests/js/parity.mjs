// Parity peer: node tests/js/parity.mjs CRITERIA.json SHEETS.json -> JSON results on stdout.
// One process scores (and explains) every sheet with pwa/js/criteria.mjs and explain.mjs; a sheet with
// `monthly` is scored as the mean of its months.
import { readFileSync } from 'node:fs';
import { compileSet, scoreMonths, scoreSheet } from '../../pwa/js/criteria.mjs';
import { explainClass, explainSheet } from '../../pwa/js/explain.mjs';

const [criteriaPath, sheetsPath] = process.argv.slice(2);
const compiled = compileSet(JSON.parse(readFileSync(criteriaPath, 'utf8')));
const sheets = JSON.parse(readFileSync(sheetsPath, 'utf8'));
const out = sheets.map((s) => {
  const r = s.monthly
    ? scoreMonths(compiled, s.kind, s.monthly, s.manual, s.flags)
    : scoreSheet(compiled, s.kind, s.inputs, s.manual, s.flags, s.month || null);
  const { details, ...plain } = r;
  const expl = explainSheet(compiled, r);
  return { ...plain, texts: expl.map((e) => e.text), assumptions: expl.map((e) => e.assumption), class_text: explainClass(compiled, r) };
});
process.stdout.write(JSON.stringify(out));
