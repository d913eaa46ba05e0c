//! One active scheduler: the frontier lives in one process's memory, so
//! replicas take turns through a lease in a JetStream key-value bucket.
//! Taking and renewing it are compare-and-set writes on the entry's
//! revision (KV `create` and `update`), so two schedulers can never both
//! believe they hold it; the others wait and take over when it expires.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use townreports_bus::async_nats::jetstream::kv;
use townreports_bus::{Bus, BusError, Shutdown};

use townreports_proto::now_ms;

pub const LEASE_BUCKET: &str = "townreports_leases";
const LEASE_KEY: &str = "scheduler";
/// A holder that stops renewing loses the lease after this long.
pub const TTL: Duration = Duration::from_secs(15);
/// A holder whose renewals keep failing stops acting this long after its
/// last renewal: well inside the TTL, so it has stopped before another
/// scheduler may take over.
pub const STEP_DOWN_AFTER: Duration = Duration::from_secs(10);

/// The lease entry's value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    pub id: String,
    pub expires_ms: i64,
}

/// What a candidate does about the current entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// No entry: create it.
    Create,
    /// Expired, released or unreadable: take it over at this revision.
    TakeOver(u64),
    /// Someone else holds it: wait.
    Wait,
}

/// Pure: the decision for `me` given the entry (value, revision) at `now`.
pub fn decide(me: &str, entry: Option<(&[u8], u64)>, now: i64) -> Decision {
    let Some((value, revision)) = entry else {
        return Decision::Create;
    };
    match serde_json::from_slice::<Holder>(value) {
        Ok(h) if h.id != me && h.expires_ms > now => Decision::Wait,
        _ => Decision::TakeOver(revision),
    }
}

/// A held lease.
pub struct Lease {
    kv: kv::Store,
    holder: String,
    revision: u64,
}

fn kv_error(e: impl std::fmt::Display) -> BusError {
    BusError::Kv {
        bucket: LEASE_BUCKET.into(),
        message: e.to_string(),
    }
}

impl Lease {
    /// Waits until this process holds the lease (or shutdown: `None`).
    /// NATS errors (a node restarting, a leader election) are waited out:
    /// a standby that exited on one would leave no successor.
    pub async fn acquire(bus: &Bus, holder: &str, shutdown: &Shutdown) -> Result<Option<Lease>, BusError> {
        let mut waiting_logged = false;
        let mut bucket = None;
        loop {
            match Self::try_take(bus, &mut bucket, holder).await {
                Ok(Some(lease)) => {
                    tracing::info!(holder, "scheduler lease taken; this scheduler is active");
                    return Ok(Some(lease));
                }
                Ok(None) if !waiting_logged => {
                    tracing::info!(holder, "another scheduler is active; standing by");
                    waiting_logged = true;
                }
                Ok(None) => {}
                Err(e) => tracing::warn!(holder, error = %e, "cannot read the scheduler lease; retrying"),
            }
            tokio::select! {
                _ = shutdown.wait() => return Ok(None),
                _ = tokio::time::sleep(TTL / 5) => {}
            }
        }
    }

    /// Takes the lease whoever holds it, for a scheduler that knows no
    /// other one can be alive: `townreports run` on its private server,
    /// under the data directory's lock. A lease a crashed run left is then
    /// taken at once instead of waited out for [`TTL`].
    pub async fn take_over(bus: &Bus, holder: &str) -> Result<Lease, BusError> {
        let kv = bus.key_value(LEASE_BUCKET, 1).await?;
        let entry = kv.entry(LEASE_KEY).await.map_err(kv_error)?;
        let live = entry.filter(|e| e.operation == kv::Operation::Put);
        let revision = match &live {
            None => kv.create(LEASE_KEY, holder_value(holder)).await.map_err(kv_error)?,
            Some(entry) => kv
                .update(LEASE_KEY, holder_value(holder), entry.revision)
                .await
                .map_err(kv_error)?,
        };
        let previous = live.and_then(|e| serde_json::from_slice::<Holder>(&e.value).ok());
        match previous {
            Some(p) if p.expires_ms > now_ms() => {
                tracing::info!(
                    holder,
                    previous = p.id,
                    "scheduler lease of a run that is gone taken over"
                )
            }
            _ => tracing::info!(holder, "scheduler lease taken; this scheduler is active"),
        }
        Ok(Lease {
            kv,
            holder: holder.to_string(),
            revision,
        })
    }

    /// One attempt: the lease if it was free (or ours) and we got it. The
    /// bucket is opened on the first attempt that can, and kept.
    async fn try_take(bus: &Bus, bucket: &mut Option<kv::Store>, holder: &str) -> Result<Option<Lease>, BusError> {
        let kv = match bucket {
            Some(kv) => kv.clone(),
            None => bucket.insert(bus.key_value(LEASE_BUCKET, 1).await?).clone(),
        };
        let entry = kv.entry(LEASE_KEY).await.map_err(kv_error)?;
        let live = entry.filter(|e| e.operation == kv::Operation::Put);
        let value = || holder_value(holder);
        let taken = match decide(holder, live.as_ref().map(|e| (&e.value[..], e.revision)), now_ms()) {
            Decision::Create => kv.create(LEASE_KEY, value()).await.ok(),
            Decision::TakeOver(revision) => kv.update(LEASE_KEY, value(), revision).await.ok(),
            Decision::Wait => None,
        };
        Ok(taken.map(|revision| Lease {
            kv,
            holder: holder.to_string(),
            revision,
        }))
    }

    /// Renews the lease every third of its TTL until shutdown. Returns an
    /// error, so the caller stops acting as the scheduler, as soon as
    /// another scheduler took it over, or when renewals have failed for
    /// [`STEP_DOWN_AFTER`]: before the lease expires and a standby may
    /// take it, this one has stopped.
    pub async fn keep(mut self, shutdown: Shutdown) -> Result<(), BusError> {
        let mut renewed = std::time::Instant::now();
        let mut wait = TTL / 3;
        loop {
            tokio::select! {
                _ = shutdown.wait() => break,
                _ = tokio::time::sleep(wait) => {}
            }
            match self
                .kv
                .update(LEASE_KEY, holder_value(&self.holder), self.revision)
                .await
            {
                Ok(revision) => {
                    self.revision = revision;
                    renewed = std::time::Instant::now();
                    wait = TTL / 3;
                }
                Err(e) if e.kind() == kv::UpdateErrorKind::WrongLastRevision => {
                    return Err(BusError::Other(format!(
                        "the scheduler lease was lost ({e}); another scheduler is active"
                    )));
                }
                Err(e) if renewed.elapsed() >= STEP_DOWN_AFTER => {
                    return Err(BusError::Other(format!(
                        "the scheduler lease could not be renewed for {:?} ({e}); stepping down before it expires",
                        renewed.elapsed()
                    )));
                }
                Err(e) => {
                    tracing::warn!(error = %e, "cannot renew the scheduler lease; retrying");
                    wait = Duration::from_secs(1);
                }
            }
        }
        // Hand over at once instead of making a successor wait out the TTL.
        let released = serde_json::to_vec(&Holder {
            id: self.holder.clone(),
            expires_ms: 0,
        })
        .map_err(kv_error)?;
        self.kv
            .update(LEASE_KEY, released.into(), self.revision)
            .await
            .map_err(kv_error)?;
        Ok(())
    }
}

fn holder_value(holder: &str) -> bytes::Bytes {
    let value = Holder {
        id: holder.to_string(),
        expires_ms: now_ms() + TTL.as_millis() as i64,
    };
    serde_json::to_vec(&value).unwrap_or_default().into()
}

/// This process's holder id: host name, process id and start time, unique
/// among replicas (pods have their own names) and readable in the bucket.
pub fn holder_id() -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "localhost".into());
    format!("{host}-{}-{}", std::process::id(), now_ms())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(id: &str, expires_ms: i64) -> Vec<u8> {
        serde_json::to_vec(&Holder {
            id: id.into(),
            expires_ms,
        })
        .unwrap()
    }

    #[test]
    fn candidates_wait_for_a_live_holder_and_take_over_an_expired_one() {
        assert_eq!(decide("a", None, 0), Decision::Create);
        assert_eq!(decide("a", Some((&value("b", 100), 7)), 50), Decision::Wait);
        assert_eq!(decide("a", Some((&value("b", 100), 7)), 100), Decision::TakeOver(7));
        assert_eq!(
            decide("a", Some((&value("a", 100), 7)), 50),
            Decision::TakeOver(7),
            "its own"
        );
        assert_eq!(decide("a", Some((b"garbage", 3)), 0), Decision::TakeOver(3));
        assert_eq!(
            decide("a", Some((&value("b", 0), 9)), 1),
            Decision::TakeOver(9),
            "released"
        );
    }
}
