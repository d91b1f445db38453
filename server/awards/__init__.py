"""Award proposals, decisions, certificate printing and the register (SQL tables here; the
PDFs and workbooks are made by `reports/` from what these modules read)."""

from .decisions import (
    DecisionInput,
    DecisionView,
    RecipientInput,
    create_decision,
    get_decision,
    list_decisions,
    set_number,
)
from .errors import AwardError
from .printing import (
    PrintOutcome,
    RegisterLine,
    layout_for,
    print_decision,
    register_lines,
    save_field,
)
from .proposals import Proposal, ProposalList, adjust, proposals
from .tables import install_award_tables

__all__ = [
    "AwardError", "DecisionInput", "DecisionView", "PrintOutcome", "Proposal", "ProposalList",
    "RecipientInput", "RegisterLine", "adjust", "create_decision", "get_decision",
    "install_award_tables", "layout_for", "list_decisions", "print_decision", "proposals",
    "register_lines", "save_field", "set_number",
]
