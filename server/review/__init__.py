"""Review workflow: sheet states and who may move them (`policy`), batch locks and campaign
closing (`actions`), their HTTP routes (`controller`)."""
