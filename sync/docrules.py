"""CouchDB's rules for a document's id and `_` members, shared by the HTTP API and backends."""

from __future__ import annotations

from typing import Any

__all__ = ["LOCAL_PREFIX", "REPLICATOR_MEMBERS", "SPECIAL_MEMBERS", "docid_error", "member_error"]

LOCAL_PREFIX = "_local/"
#: Members the replicator writes on `_replicator` documents: kept in the body, as CouchDB does.
REPLICATOR_MEMBERS = frozenset(
    {"_replication_id", "_replication_state", "_replication_state_time", "_replication_stats"}
)
#: Every `_` member a document may carry; any other is `doc_validation`.
SPECIAL_MEMBERS = frozenset(
    {"_id", "_rev", "_deleted", "_revisions", "_attachments", "_conflicts",
     "_deleted_conflicts", "_local_seq", "_revs_info"}
) | REPLICATOR_MEMBERS


def docid_error(doc_id: Any) -> str | None:
    """CouchDB's `illegal_docid` reason for `doc_id`, or None when it is legal."""
    if not isinstance(doc_id, str):
        return "Document id must be a string"
    if not doc_id:
        return "Document id must not be empty"
    if doc_id[0] == "_" and not doc_id.startswith(("_design/", LOCAL_PREFIX)):
        return "Only reserved document ids may start with underscore."
    return None


def member_error(doc: dict[str, Any]) -> str | None:
    """CouchDB's `doc_validation` reason for the first unknown `_` member, or None."""
    for key in doc:
        if key[:1] == "_" and key not in SPECIAL_MEMBERS:
            return f"Bad special document member: {key}"
    return None
