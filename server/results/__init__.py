"""Official (server-scored) results: SQL tables, the `result:` document and read functions.

The worker (`server.worker`) writes them; `/api/results`, rankings, exports, the council
report and certificates read them through `server.results.read`. Names here are stable.
"""

from .documents import result_doc, result_doc_id
from .packed import PackedCriterion, pack_criteria, unpack_criteria
from .read import (
    CriterionView,
    RankedResult,
    ResultView,
    get_result,
    list_results,
    ranking,
)
from .tables import ResultBreakdown, SheetResult, install_result_tables, result_tables

__all__ = [
    "CriterionView",
    "PackedCriterion",
    "RankedResult",
    "ResultBreakdown",
    "ResultView",
    "SheetResult",
    "get_result",
    "install_result_tables",
    "list_results",
    "pack_criteria",
    "ranking",
    "result_doc",
    "result_doc_id",
    "result_tables",
    "unpack_criteria",
]
