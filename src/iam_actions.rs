//! IAM policy documents: which granted actions amount to administrator access or privilege escalation.
