"""Review: the workflow states and who may move them (`policy`, applied by `rules` inside the
store's write transaction), batch locks and campaign closing (`actions`, `/api/workflow` in `workflow_api`),
and the review queue: conflict records of merged sheets (`tables`) and `/api/review`."""
