"""The public rankings pages (`/public/rankings`, no sign-in): locked results of collectives,
built here (`build`), rendered by `reports.public`, cached with ETags (`controller`)."""
