//! The once-per-alert ledger: the same behaviour in memory and in DynamoDB (moto's server, the
//! table created as the stack creates it), two concurrent claims of one key giving one winner,
//! and a missing table or a failing service named in the error.
#![cfg(feature = "aws")]

mod support;

use support::Moto;
use support::faults::{Fault, Faults};
use trailwarden::Severity;
use trailwarden::dedupe::dynamodb::DynamoLedger;
use trailwarden::dedupe::{Claim, InMemory, Ledger, Ticket};

const NOW: i64 = 1_790_000_000;

fn fresh(claim: Claim) -> Ticket {
    match claim {
        Claim::Fresh(t) => t,
        seen => panic!("expected a fresh claim, got {seen:?}"),
    }
}

/// What every ledger must do.
async fn behaves(ledger: &dyn Ledger) {
    let (high, medium, critical) = (Severity::High, Severity::Medium, Severity::Critical);
    // New: fresh. Sent: a repeat at the same or a lower level is seen; a rise is fresh.
    let t = fresh(ledger.claim("finding#a", high, NOW).await.unwrap());
    assert_eq!(t.previous, None);
    ledger.confirm(&t).await.unwrap();
    assert_eq!(ledger.claim("finding#a", high, NOW + 10).await.unwrap(), Claim::Seen { level: high });
    assert_eq!(ledger.claim("finding#a", medium, NOW + 10).await.unwrap(), Claim::Seen { level: high });
    let rise = fresh(ledger.claim("finding#a", critical, NOW + 20).await.unwrap());
    assert_eq!(rise.previous, Some(high));
    // The send at the higher level failed: released, the earlier entry is back.
    ledger.release(&rise).await.unwrap();
    assert_eq!(ledger.claim("finding#a", high, NOW + 30).await.unwrap(), Claim::Seen { level: high });
    let again = fresh(ledger.claim("finding#a", critical, NOW + 40).await.unwrap());
    ledger.confirm(&again).await.unwrap();
    assert_eq!(ledger.claim("finding#a", critical, NOW + 50).await.unwrap(), Claim::Seen { level: critical });

    // Claimed and not confirmed: others see it while its lease runs, and may take it after.
    let held = fresh(ledger.claim("cloudtrail#e1#rule", high, NOW).await.unwrap());
    let busy = ledger.claim("cloudtrail#e1#rule", high, NOW + 60).await.unwrap();
    assert!(matches!(busy, Claim::Busy { level: Severity::High, until } if until > NOW + 60), "{busy:?}");
    let taken = fresh(ledger.claim("cloudtrail#e1#rule", high, NOW + 10_000).await.unwrap());
    assert_eq!(taken.previous, None, "a lapsed claim was never sent");
    // The first holder's late release does not undo the new claim.
    ledger.release(&held).await.unwrap();
    assert!(matches!(ledger.claim("cloudtrail#e1#rule", high, NOW + 10_001).await.unwrap(), Claim::Busy { .. }));
    ledger.confirm(&taken).await.unwrap();
    assert_eq!(ledger.claim("cloudtrail#e1#rule", high, NOW + 10_002).await.unwrap(), Claim::Seen { level: high });

    // A failed send of a new key: released, the retry is fresh.
    let first = fresh(ledger.claim("finding#b", high, NOW).await.unwrap());
    ledger.release(&first).await.unwrap();
    fresh(ledger.claim("finding#b", high, NOW + 1).await.unwrap());
}

/// Two deliveries of one finding at once: exactly one claims it.
async fn one_of_two_concurrent_claims_wins(ledger: &dyn Ledger) {
    for i in 0..20 {
        let key = format!("finding#concurrent-{i}");
        let (a, b) = tokio::join!(ledger.claim(&key, Severity::High, NOW), ledger.claim(&key, Severity::High, NOW));
        let fresh = [a.unwrap(), b.unwrap()].iter().filter(|c| matches!(c, Claim::Fresh(_))).count();
        assert_eq!(fresh, 1, "{key}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_in_memory_ledger_sends_once() {
    let ledger = InMemory::new();
    behaves(&ledger).await;
    one_of_two_concurrent_claims_wins(&ledger).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_dynamodb_ledger_sends_once_and_entries_expire_after_the_ttl() {
    let moto = Moto::start();
    let client = moto.ledger_table("trailwarden-sent").await;
    let ledger = DynamoLedger::new(client.clone(), "trailwarden-sent");
    assert_eq!(ledger.name(), "dynamodb:trailwarden-sent");
    behaves(&ledger).await;
    one_of_two_concurrent_claims_wins(&ledger).await;
    let item = client
        .get_item()
        .table_name("trailwarden-sent")
        .key("pk", aws_sdk_dynamodb::types::AttributeValue::S("finding#a".into()))
        .send()
        .await
        .unwrap();
    let item = item.item().unwrap();
    assert_eq!(item["state"].as_s().unwrap(), "sent");
    assert_eq!(item["level"].as_n().unwrap(), "4");
    let expires: i64 = item["expires"].as_n().unwrap().parse().unwrap();
    assert_eq!(expires, NOW + 40 + 30 * 86_400, "entries expire 30 days after they were claimed");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_table_or_a_failing_service_is_an_error_naming_the_table() {
    let moto = Moto::start();
    let sdk = moto.sdk().await;
    let ledger = DynamoLedger::new(aws_sdk_dynamodb::Client::new(&sdk), "no-such-table");
    let err = ledger.claim("finding#x", Severity::High, NOW).await.unwrap_err().to_string();
    assert!(err.starts_with("dedupe table no-such-table: PutItem for `finding#x`: ResourceNotFoundException"), "{err}");

    moto.ledger_table("t").await;
    let faults = Faults::scripted(&[Fault::ServerError; 3]);
    let ledger = DynamoLedger::new(faults.dynamodb_client(&sdk), "t");
    let err = ledger.claim("finding#x", Severity::High, NOW).await.unwrap_err().to_string();
    assert!(err.starts_with("dedupe table t: PutItem for `finding#x`: "), "{err}");
    assert_eq!(faults.count(Fault::ServerError), 3, "the SDK retried before giving up");
    // The next attempt goes through.
    assert!(matches!(ledger.claim("finding#x", Severity::High, NOW).await.unwrap(), Claim::Fresh(_)));
}
