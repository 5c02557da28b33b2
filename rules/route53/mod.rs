//! route53 rules.
