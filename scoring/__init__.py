"""thidua scoring: criteria sets as data, a pure exact engine, rankings, awards.

Pure package: imports nothing from ``server`` or ``sync``.
"""

from scoring.awards import AwardProposal, AwardResult, NotProposed, propose_awards
from scoring.criteria import CriteriaError, CriteriaSet, load_criteria, load_shipped, loads_criteria
from scoring.engine import CompiledSet, ManualEntry, SheetScore, compile_set, score_sheet
from scoring.explain import CriterionExplanation, explain
from scoring.incremental import RankMove, Scoreboard, SheetInput, Update
from scoring.numbers import format_points, format_vi
from scoring.ranking import RankedEntry, Ranking, ScoredUnit, rank_scope, rankings

__all__ = [
    "AwardProposal",
    "AwardResult",
    "CompiledSet",
    "CriteriaError",
    "CriteriaSet",
    "CriterionExplanation",
    "ManualEntry",
    "NotProposed",
    "RankMove",
    "RankedEntry",
    "Ranking",
    "Scoreboard",
    "ScoredUnit",
    "SheetInput",
    "SheetScore",
    "Update",
    "compile_set",
    "explain",
    "format_points",
    "format_vi",
    "load_criteria",
    "load_shipped",
    "loads_criteria",
    "propose_awards",
    "rank_scope",
    "rankings",
    "score_sheet",
]
