// A database's first download in a few large requests instead of replication's many small
// ones, with the standard CouchDB API only (so it runs against thidua and CouchDB alike):
//  1. `_changes?style=all_docs&include_docs=true&conflicts=true`, pages of `limit` rows: every
//     document's winning revision with its body, and the ids of its other leaves;
//  2. what `_changes` cannot carry (the other leaves of a conflict, documents with
//     attachments, a leaf newer than the body read, documents the phone already holds a
//     revision of: a load redone, a document changed between two pages) from `_bulk_get` with
//     `revs`, `latest` and `attachments`, as replication asks;
//  3. each page written locally with `new_edits: false` (the server's revisions kept as they
//     are; writing one twice changes nothing, so an interrupted first load is simply redone);
//  4. a normal replication from the last page's `last_seq` (PouchDB's `since`), started as
//     that page arrives: it writes the replication checkpoints on both sides, so the live sync
//     after it goes on from there, and it brings what was written on the server meanwhile.
// Histories of the bodies from `_changes` start at their revision (as after CouchDB's
// stemming; later revisions come with theirs and join on); all else has its full history.

/**
 * Download `remote` (a PouchDB http database) into `local` and return the replication's
 * result with `docs_written` counting every document written.
 * @param {object} PouchDB the PouchDB constructor (its `replicate`)
 * @param {object} options `limit` rows a page, `replication` options of the final
 *   replication, `onProgress(docsWritten)` after each page (awaited)
 */
export async function firstLoad(PouchDB, remote, local, options = {}) {
  const { limit = 2000, replication = {}, onProgress = () => {} } = options;
  // documents `local` holds a revision of: those written here, and on a load redone any other
  const held = new Set(), fresh = (await local.info()).update_seq === 0;
  let written = 0, next = changesPage(remote, 0, limit), last = null;
  try {
    while (!last) await nextPage();
  } catch (err) {
    if (last) last.cancel();
    throw err;
  }
  const result = await last;
  return { ...result, docs_written: written + result.docs_written };

  async function nextPage() {
    const page = await next;
    // the next page is read while this one is written (pageDocs below sees what was written);
    // after the last, the replication from its seq (`new_edits: false` writes commute, and a
    // load cut short is redone from the start: the caller marks it done once this returns)
    if (page.results.length === limit && page.pending !== 0) {
      (next = changesPage(remote, page.last_seq, limit)).catch(() => {});
    } else {
      (last = PouchDB.replicate(remote, local, { ...replication, since: page.last_seq })).catch(() => {});
    }
    const docs = await pageDocs(remote, fresh ? null : local, held, page.results);
    if (docs.length) {
      const failed = (await local.bulkDocs({ docs, new_edits: false })).filter((r) => r.error);
      if (failed.length) throw Object.assign(new Error('first load: write failed'), failed[0]);
    }
    written += docs.length;
    await onProgress(written);
  }
}

async function changesPage(remote, since, limit) {
  const query = `style=all_docs&include_docs=true&conflicts=true&limit=${limit}` +
    `&since=${encodeURIComponent(since)}`;
  const response = await remote.fetch(`_changes?${query}`);
  const body = await response.json();
  if (!response.ok) throw Object.assign(new Error(body.reason || 'first load failed'), { status: response.status, ...body });
  return body;
}

/** The documents of `rows` to write: bodies `_changes` carried of documents new to the phone,
 * the rest from `_bulk_get` with their history (a body without it, written beside an older
 * local revision, would stand as a second root: a conflict the server does not have).
 * `held`: ids written so far (updated here); `local`: the database to ask about the others
 * (null when it was empty at the start). */
async function pageDocs(remote, local, held, rows) {
  const known = local ? new Set((await local.allDocs({ keys: rows.map((r) => r.id) })).rows
    .filter((row) => !row.error).map((row) => row.id)) : held;
  const docs = [], missing = [];
  for (const row of rows) {
    const doc = row.doc;
    const plain = doc && !doc._attachments && !known.has(row.id);
    if (plain) {
      delete doc._conflicts;
      docs.push(doc);
    }
    for (const { rev } of row.changes) {
      if (!plain || rev !== doc._rev) missing.push({ id: row.id, rev });
    }
    held.add(row.id);
  }
  if (missing.length) {
    const answer = await remote.bulkGet({ docs: missing, revs: true, latest: true, attachments: true });
    for (const result of answer.results) {
      for (const entry of result.docs) if (entry.ok) docs.push(entry.ok);
    }
  }
  return docs;
}
