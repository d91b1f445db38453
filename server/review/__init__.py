"""The review queue: conflict records of merged sheets and the `/api/review` routes."""
