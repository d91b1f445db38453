// What the screens show, read from the local databases: the campaign, the user's communes,
// hamlets and units from `config`; sheets and the server's `result:` documents from each
// commune database. `dataState` is re-read whenever a local database changes.
import { fold } from './text.js';
import { createStore } from './store.js';
import { localDb } from './sync.js';

export const dataState = createStore({ ready: false, campaign: null, criteria: null, communes: [], hamlets: {}, units: [], sheets: {}, results: {} });

const byPrefix = async (db, prefix) =>
  (await db.allDocs({ include_docs: true, startkey: prefix, endkey: prefix + '\ufff0' })).rows.map((r) => r.doc);

const criteriaCache = {};
async function criteriaSet(version) {
  if (!criteriaCache[version]) criteriaCache[version] = await (await fetch(`/criteria/${version}.json`)).json();
  return criteriaCache[version];
}

async function read(communeDbs) {
  const config = localDb('config');
  const codes = communeDbs.map((db) => db.slice(2));
  const [campaigns, communes, hamlets, units] = await Promise.all(['campaign:', 'commune:', 'hamlet:', 'unit:'].map((p) => byPrefix(config, p)));
  const mine = (doc) => codes.includes(doc.commune_code);
  const campaign = campaigns.sort((a, b) => b.year - a.year)[0] || null;
  const sheets = {}, results = {};
  for (const db of communeDbs) {
    for (const doc of await byPrefix(localDb(db), 'sheet:')) sheets[doc._id] = { ...doc, db };
    for (const doc of await byPrefix(localDb(db), 'result:')) results[doc.sheet_id] = doc;
  }
  const hamletsByCode = Object.fromEntries(hamlets.filter(mine).map((h) => [h.code, h]));
  return {
    ready: true, campaign, criteria: campaign ? await criteriaSet(campaign.criteria_version) : null,
    communes: communes.filter((c) => codes.includes(c.code)), hamlets: hamletsByCode,
    units: units.filter(mine).map((u) => ({ ...u, id: `${u.kind}:${u.code}`, folded: fold(`${u.name} ${u.code} ${u.leader_name || u.person_name || u.chair_name || ''}`) })),
    sheets, results,
  };
}

let feeds = [];
/** Read everything once, then again (debounced) after every local change. */
export async function watchData(dbNames) {
  for (const f of feeds) f.cancel();
  const communeDbs = dbNames.filter((db) => db.startsWith('c-'));
  let timer = null;
  const refresh = async () => dataState.set(await read(communeDbs));
  await refresh();
  feeds = dbNames.map((db) => localDb(db).changes({ live: true, since: 'now' })
    .on('change', () => { clearTimeout(timer); timer = setTimeout(refresh, 150); }));
}

export const sheetId = (campaign, unitId, period) => `sheet:${campaign}:${unitId}:${period}`;

/** The status shown for a unit: none, draft, submitted or locked (of the campaign's first period unless given). */
export function unitStatus(data, unit, period) {
  const c = data.campaign;
  if (!c) return 'none';
  const sheet = data.sheets[sheetId(c.id, unit.id, period || c.periods[0].id)];
  return sheet ? sheet.status : 'none';
}
