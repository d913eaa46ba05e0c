//! Payloads larger than a NATS message (pages, long texts) go through the
//! JetStream object store; the message carries a [`BlobRef`] instead.
//! Keys are content hashes, so storing the same page twice is one object.

use async_nats::jetstream::object_store;
use bytes::Bytes;
use sha2::{Digest, Sha256};
use tokio::io::AsyncReadExt;
use townreports_proto::topology::BLOB_BUCKET;
use townreports_proto::v1::BlobRef;

use crate::{Bus, BusError};

/// Bodies up to this size travel inline; the server's default max_payload is
/// 1 MiB and the rest of the message needs room too.
pub const INLINE_LIMIT: usize = 512 * 1024;

impl Bus {
    async fn blob_store(&self) -> Result<object_store::ObjectStore, BusError> {
        match self.jetstream().get_object_store(BLOB_BUCKET).await {
            Ok(store) => Ok(store),
            Err(_) => self
                .jetstream()
                .create_object_store(object_store::Config {
                    bucket: BLOB_BUCKET.to_string(),
                    description: Some("townreports payloads too large for a message".into()),
                    max_age: std::time::Duration::from_secs(7 * 24 * 3600),
                    num_replicas: self.replicas(),
                    ..Default::default()
                })
                .await
                .map_err(|e| BusError::Blob(format!("cannot create bucket {BLOB_BUCKET}: {e}"))),
        }
    }

    /// Stores `data` and returns its reference.
    pub async fn put_blob(&self, data: &[u8]) -> Result<BlobRef, BusError> {
        let key = hex::encode(Sha256::digest(data));
        let store = self.blob_store().await?;
        let mut reader = data;
        store
            .put(key.as_str(), &mut reader)
            .await
            .map_err(|e| BusError::Blob(format!("put {key}: {e}")))?;
        Ok(BlobRef {
            bucket: BLOB_BUCKET.to_string(),
            key,
            size: data.len() as u64,
        })
    }

    /// Reads a stored payload back.
    pub async fn get_blob(&self, r: &BlobRef) -> Result<Bytes, BusError> {
        let store = self.blob_store().await?;
        let mut object = store
            .get(r.key.as_str())
            .await
            .map_err(|e| BusError::Blob(format!("get {}: {e}", r.key)))?;
        let mut data = Vec::with_capacity(r.size as usize);
        object
            .read_to_end(&mut data)
            .await
            .map_err(|e| BusError::Blob(format!("read {}: {e}", r.key)))?;
        Ok(Bytes::from(data))
    }
}
