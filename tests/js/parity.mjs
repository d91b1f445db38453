// Parity peer: node tests/js/parity.mjs CRITERIA.json SHEETS.json -> JSON results on stdout.
// One process scores (and explains) every sheet with pwa/js/criteria.mjs.
import { readFileSync } from 'node:fs';
import { compileSet, explainSheet, scoreSheet } from '../../pwa/js/criteria.mjs';

const [criteriaPath, sheetsPath] = process.argv.slice(2);
const compiled = compileSet(JSON.parse(readFileSync(criteriaPath, 'utf8')));
const sheets = JSON.parse(readFileSync(sheetsPath, 'utf8'));
const out = sheets.map((s) => {
  const r = scoreSheet(compiled, s.kind, s.inputs, s.manual, s.flags);
  const { details, ...plain } = r;
  return { ...plain, texts: explainSheet(compiled, r).map((e) => e.text) };
});
process.stdout.write(JSON.stringify(out));
