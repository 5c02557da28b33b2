//! The ledger in DynamoDB: the stack's table, partition key `pk` (S), TTL attribute `expires`.
//!
//! An item is `{pk, level (N, 0 info .. 4 critical), state ("claimed" | "sent"), lease (N, Unix
//! seconds), token (S), expires (N, Unix seconds)}`. A claim is one conditional `PutItem`, so two
//! concurrent deliveries of one finding cannot both win it; confirm and release are conditional
//! on the claim's token, so a delivery never undoes another's claim.

use std::collections::HashMap;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue, ReturnValuesOnConditionCheckFailure};

use super::{Claim, DEFAULT_LEASE_SECS, Ledger, LedgerError, Ticket, token};
use crate::detail::Severity;
use crate::notify::BoxFuture;

/// The DynamoDB ledger. `new(client, table)`; entries live 30 days unless `with_ttl_days` says.
pub struct DynamoLedger {
    client: Client,
    table: String,
    name: String,
    ttl_secs: i64,
    lease_secs: i64,
}

fn rank(level: Severity) -> usize {
    Severity::ALL.iter().position(|s| *s == level).unwrap_or(0)
}

fn of_rank(n: &str) -> Option<Severity> {
    n.parse::<usize>().ok().and_then(|i| Severity::ALL.get(i).copied())
}

fn n(v: i64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_string())
}

/// The level a stored item holds, when it is a sent entry (a claim that lapsed was never sent).
fn sent_level(item: &HashMap<String, AttributeValue>) -> Option<Severity> {
    let sent = item.get("state").and_then(|v| v.as_s().ok()).is_some_and(|s| s == "sent");
    let level = item.get("level").and_then(|v| v.as_n().ok()).and_then(|n| of_rank(n));
    level.filter(|_| sent)
}

impl DynamoLedger {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        let table = table.into();
        DynamoLedger {
            client,
            name: format!("dynamodb:{table}"),
            table,
            ttl_secs: 30 * 86_400,
            lease_secs: DEFAULT_LEASE_SECS,
        }
    }

    /// How long an entry blocks repeats (the table's TTL removes it after).
    pub fn with_ttl_days(mut self, days: u32) -> Self {
        self.ttl_secs = i64::from(days) * 86_400;
        self
    }

    /// How long an unconfirmed claim blocks other deliveries.
    pub fn with_lease_secs(mut self, secs: i64) -> Self {
        self.lease_secs = secs;
        self
    }

    fn error<E, R>(&self, call: &'static str, key: &str, e: &SdkError<E, R>) -> LedgerError
    where
        E: aws_sdk_dynamodb::error::ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug,
    {
        LedgerError::Call {
            table: self.table.clone(),
            call,
            key: crate::text::one_line(key),
            message: crate::notify::ses::sdk_error_text(e),
        }
    }

    fn item(
        &self,
        key: &str,
        level: Severity,
        state: &str,
        token: &str,
        lease: i64,
        now: i64,
    ) -> HashMap<String, AttributeValue> {
        HashMap::from([
            ("pk".to_string(), s(key)),
            ("level".to_string(), n(rank(level) as i64)),
            ("state".to_string(), s(state)),
            ("token".to_string(), s(token)),
            ("lease".to_string(), n(lease)),
            ("expires".to_string(), n(now + self.ttl_secs)),
        ])
    }

    async fn claim_now(&self, key: &str, level: Severity, now: i64) -> Result<Claim, LedgerError> {
        let token = token(now);
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(self.item(key, level, "claimed", &token, now + self.lease_secs, now)))
            .condition_expression(
                "attribute_not_exists(pk) OR #level < :level OR (#state = :claimed AND #lease < :now)",
            )
            .expression_attribute_names("#level", "level")
            .expression_attribute_names("#state", "state")
            .expression_attribute_names("#lease", "lease")
            .expression_attribute_values(":level", n(rank(level) as i64))
            .expression_attribute_values(":claimed", s("claimed"))
            .expression_attribute_values(":now", n(now))
            .return_values(ReturnValue::AllOld)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match put {
            Ok(out) => {
                let previous = out.attributes().and_then(sent_level);
                Ok(Claim::Fresh(Ticket { key: key.to_string(), level, token, previous }))
            }
            Err(e) => match e.as_service_error() {
                Some(aws_sdk_dynamodb::operation::put_item::PutItemError::ConditionalCheckFailedException(ex)) => {
                    let item = ex.item();
                    let stored = item.and_then(|item| item.get("level")).and_then(|v| v.as_n().ok());
                    let level = stored.and_then(|n| of_rank(n)).unwrap_or(level);
                    let claimed =
                        item.and_then(|i| i.get("state")).and_then(|v| v.as_s().ok()).is_some_and(|s| s == "claimed");
                    let lease =
                        item.and_then(|i| i.get("lease")).and_then(|v| v.as_n().ok()).and_then(|v| v.parse().ok());
                    Ok(match (claimed, lease) {
                        (true, Some(until)) => Claim::Busy { level, until },
                        _ => Claim::Seen { level },
                    })
                }
                _ => Err(self.error("PutItem", key, &e)),
            },
        }
    }

    async fn confirm_now(&self, ticket: &Ticket) -> Result<(), LedgerError> {
        let update = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(&ticket.key))
            .update_expression("SET #state = :sent")
            .condition_expression("#token = :token")
            .expression_attribute_names("#state", "state")
            .expression_attribute_names("#token", "token")
            .expression_attribute_values(":sent", s("sent"))
            .expression_attribute_values(":token", s(&ticket.token))
            .send()
            .await;
        match update {
            Ok(_) => Ok(()),
            // Another delivery's claim replaced ours after our lease lapsed: theirs stands.
            Err(e) => self.unless_lost("UpdateItem", &ticket.key, e).map_or(Ok(()), Err),
        }
    }

    async fn release_now(&self, ticket: &Ticket, now: i64) -> Result<(), LedgerError> {
        let sent = match ticket.previous {
            Some(level) => self
                .client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(self.item(&ticket.key, level, "sent", &ticket.token, 0, now)))
                .condition_expression("#token = :token")
                .expression_attribute_names("#token", "token")
                .expression_attribute_values(":token", s(&ticket.token))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| self.unless_lost("PutItem", &ticket.key, e)),
            None => self
                .client
                .delete_item()
                .table_name(&self.table)
                .key("pk", s(&ticket.key))
                .condition_expression("#token = :token")
                .expression_attribute_names("#token", "token")
                .expression_attribute_values(":token", s(&ticket.token))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| self.unless_lost("DeleteItem", &ticket.key, e)),
        };
        match sent {
            Ok(()) | Err(None) => Ok(()),
            Err(Some(e)) => Err(e),
        }
    }

    /// `None` when a conditional write failed because the claim is no longer ours (another
    /// delivery's claim stands, and must), the error otherwise.
    fn unless_lost<E, R>(&self, call: &'static str, key: &str, e: SdkError<E, R>) -> Option<LedgerError>
    where
        E: aws_sdk_dynamodb::error::ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug,
    {
        use aws_sdk_dynamodb::error::ProvideErrorMetadata;
        let lost = e.code() == Some("ConditionalCheckFailedException");
        (!lost).then(|| self.error(call, key, &e))
    }
}

impl Ledger for DynamoLedger {
    fn name(&self) -> &str {
        &self.name
    }

    fn claim<'a>(&'a self, key: &'a str, level: Severity, now: i64) -> BoxFuture<'a, Result<Claim, LedgerError>> {
        Box::pin(self.claim_now(key, level, now))
    }

    fn confirm<'a>(&'a self, ticket: &'a Ticket) -> BoxFuture<'a, Result<(), LedgerError>> {
        Box::pin(self.confirm_now(ticket))
    }

    fn release<'a>(&'a self, ticket: &'a Ticket) -> BoxFuture<'a, Result<(), LedgerError>> {
        let now = jiff::Timestamp::now().as_second();
        Box::pin(self.release_now(ticket, now))
    }
}
