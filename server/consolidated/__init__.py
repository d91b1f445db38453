"""Consolidated results for reviewers: summaries by level, unit tables, drill-down, rankings
with year-over-year, and the exports built from them (`/api/results`, `thidua export`).

Reads the official results of `server.results` (SQL) and the directory (`server.territory`);
blocking functions take an SQLAlchemy engine (async callers run them in a thread).
"""
