//! Key-value buckets that work on nats-server 2.9.
//!
//! `create_key_value` in async-nats ≥ 0.41 fails against servers before
//! 2.10.9 (it parses an account-info field they do not send), so we create
//! the bucket's backing stream `KV_<bucket>` ourselves with the settings a
//! KV bucket has, then open it with `get_key_value`.

use async_nats::jetstream::{kv, stream};

use crate::topology::ensure_stream;
use crate::{Bus, BusError};

impl Bus {
    /// Opens (creating if needed) the bucket `name` keeping `history` values per key.
    pub async fn key_value(&self, name: &str, history: i64) -> Result<kv::Store, BusError> {
        let config = stream::Config {
            name: format!("KV_{name}"),
            subjects: vec![format!("$KV.{name}.>")],
            max_messages_per_subject: history.max(1),
            allow_rollup: true,
            deny_delete: true,
            allow_direct: true,
            discard: stream::DiscardPolicy::New,
            storage: stream::StorageType::File,
            num_replicas: self.replicas(),
            duplicate_window: std::time::Duration::from_secs(120),
            ..Default::default()
        };
        ensure_stream(self.jetstream(), config).await?;
        self.jetstream().get_key_value(name).await.map_err(|e| BusError::Kv {
            bucket: name.to_string(),
            message: e.to_string(),
        })
    }
}
