'use strict';
// Differential oracle for sync/revtree.py: replays revision paths through PouchDB's own
// pouchdb-merge package. One process handles a whole batch.
//
// stdin:  {"cases": [[op, ...], ...]} with op = [pos, [hash oldest..newest], deleted, revsLimit]
// stdout: [[step, ...], ...] with step = [outcome, stemmedRevs, flatTree, winner, conflicts,
//         leaves, known]; flatTree uses sync.revtree.tree_to_json's layout,
//         leaves = [[rev, deleted]], known = [[rev, latest(rev)]] for every rev named so far
//         in the case that revExists still finds.
const { merge, winningRev, collectConflicts, collectLeaves, revExists, latest } =
  require('pouchdb-merge');

// The path a `_revisions` doc becomes in pouchdb-adapter-utils (makeRevTreeFromRevisions).
function buildPath(pos, hashes, deleted) {
  const opts = { status: 'available' };
  if (deleted) opts.deleted = true;
  let ids = [hashes[hashes.length - 1], opts, []];
  for (let i = hashes.length - 2; i >= 0; i--) {
    ids = [hashes[i], { status: 'missing' }, [ids]];
  }
  return { pos, ids };
}

function flatten(tree) {
  return tree.map(({ pos, ids }) => {
    const flat = [pos];
    const stack = [ids];
    let node;
    while ((node = stack.pop())) {
      flat.push(node[0], node[1].deleted ? 1 : 0, node[2].length);
      for (let i = node[2].length - 1; i >= 0; i--) stack.push(node[2][i]);
    }
    return flat;
  });
}

function run(cases) {
  return cases.map((ops) => {
    let tree = [];
    const named = new Set();
    return ops.map(([pos, hashes, deleted, limit]) => {
      const res = merge(tree, buildPath(pos, hashes, deleted), limit);
      tree = res.tree;
      const meta = { rev_tree: tree };
      hashes.forEach((h, i) => named.add(`${pos + i}-${h}`));
      const known = [...named].filter((rev) => revExists(tree, rev));
      return [
        res.conflicts,
        res.stemmedRevs,
        flatten(tree),
        winningRev(meta),
        collectConflicts(meta),
        collectLeaves(tree).map((l) => [l.rev, !!l.opts.deleted]),
        known.map((rev) => [rev, latest(rev, meta)]),
      ];
    });
  });
}

const chunks = [];
process.stdin.on('data', (c) => chunks.push(c));
process.stdin.on('end', () => {
  const input = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  process.stdout.write(JSON.stringify(run(input.cases)));
});
