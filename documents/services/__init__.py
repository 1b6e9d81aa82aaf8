"""Every state change of a plan: lock, check, transition, save, record, notify after commit.

Views, the API, the workflow and commands call these functions and nothing else to change a plan.
Callers that hold the workflow lock call them inside it (flow lock first, then the plan row). One
module per stage; reads (the document as it reads, its PDFs) are in documents.selectors.
"""

from .audit import audit_verify
from .base import OWN_DRAFT, plan_locked, plans_locking
from .budget import plan_budget_review_approve, plan_budget_review_return
from .consultation import (
    consultation_answer_record,
    consultation_deadline,
    consultation_record_silence,
    plan_close_consultation,
    plan_consolidation_send,
    plan_consultation_reopen,
    plan_consultation_skip,
    plan_send_for_consultation,
)
from .incoming import (
    DOCX_CONTENT_TYPE,
    ExchangedDocument,
    incoming_import_docx,
    incoming_import_file,
    incoming_original,
    incoming_plan_content,
    incoming_register_exchanged,
    incoming_verify_signatures,
    plan_start_from_incoming,
)
from .issuance import (
    PreparedIssue,
    plan_issue,
    plan_issue_complete,
    plan_issue_prepare,
    receipt_acknowledge,
)
from .plans import (
    plan_create,
    plan_import_docx,
    plan_signer_change,
    plan_signer_stand_in,
    plan_stand_in_hand_over,
    plan_submit_draft,
    plan_update_content,
    plan_version_seen_record,
    plan_withdraw,
    province_issuer,
)
from .review import (
    plan_legal_review_request,
    plan_resubmit,
    plan_return_to_drafter,
    plan_review_approve,
)
from .signature import ALREADY_SIGNED, plan_prepare_signature, plan_sign, plan_sign_prepare

__all__ = [
    "ALREADY_SIGNED",
    "DOCX_CONTENT_TYPE",
    "OWN_DRAFT",
    "ExchangedDocument",
    "PreparedIssue",
    "audit_verify",
    "consultation_answer_record",
    "consultation_deadline",
    "consultation_record_silence",
    "incoming_import_docx",
    "incoming_import_file",
    "incoming_original",
    "incoming_plan_content",
    "incoming_register_exchanged",
    "incoming_verify_signatures",
    "plan_budget_review_approve",
    "plan_budget_review_return",
    "plan_close_consultation",
    "plan_consolidation_send",
    "plan_consultation_reopen",
    "plan_consultation_skip",
    "plan_create",
    "plan_import_docx",
    "plan_issue",
    "plan_issue_complete",
    "plan_issue_prepare",
    "plan_legal_review_request",
    "plan_locked",
    "plan_prepare_signature",
    "plan_resubmit",
    "plan_return_to_drafter",
    "plan_review_approve",
    "plan_send_for_consultation",
    "plan_sign",
    "plan_sign_prepare",
    "plan_signer_change",
    "plan_signer_stand_in",
    "plan_stand_in_hand_over",
    "plan_start_from_incoming",
    "plan_submit_draft",
    "plan_update_content",
    "plan_version_seen_record",
    "plan_withdraw",
    "plans_locking",
    "province_issuer",
    "receipt_acknowledge",
]
