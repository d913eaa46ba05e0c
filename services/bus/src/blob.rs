//! Payloads larger than a NATS message (pages, long texts) go through the
//! JetStream object store; the message carries a [`BlobRef`] instead.
//! Keys are content hashes, so storing the same page twice is one object.

use async_nats::jetstream::object_store;
use bytes::Bytes;
use tokio::io::AsyncReadExt;
use townreports_proto::topology::BLOB_BUCKET;
use townreports_proto::v1::BlobRef;

use crate::{Bus, BusError};

/// Bodies up to this size travel inline; the server's default max_payload is
/// 1 MiB and the rest of the message needs room too.
pub const INLINE_LIMIT: usize = 512 * 1024;

/// A payload a message carries inline or by reference: a page's bytes or a
/// document's text.
pub trait Payload: AsRef<[u8]> + Default + Sized {
    fn from_stored(bytes: Bytes) -> Result<Self, BusError>;
}

impl Payload for Vec<u8> {
    fn from_stored(bytes: Bytes) -> Result<Self, BusError> {
        Ok(bytes.to_vec())
    }
}

impl Payload for String {
    fn from_stored(bytes: Bytes) -> Result<Self, BusError> {
        String::from_utf8(bytes.to_vec()).map_err(|e| BusError::Blob(format!("a stored text is not UTF-8: {e}")))
    }
}

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

    /// How a message carries `payload`: inline when it fits
    /// ([`INLINE_LIMIT`]), else stored, leaving the inline part empty and a
    /// reference in its place.
    pub async fn carry<T: Payload>(&self, payload: T) -> Result<(T, Option<BlobRef>), BusError> {
        if payload.as_ref().len() <= INLINE_LIMIT {
            return Ok((payload, None));
        }
        let stored = self.put_blob(payload.as_ref()).await?;
        Ok((T::default(), Some(stored)))
    }

    /// The payload a message carried: its inline part, or the stored object
    /// its reference names (the inverse of [`Bus::carry`]).
    pub async fn carried<T: Payload>(&self, inline: T, by_ref: Option<&BlobRef>) -> Result<T, BusError> {
        match by_ref {
            Some(r) => T::from_stored(self.get_blob(r).await?),
            None => Ok(inline),
        }
    }

    /// Stores `data` and returns its reference.
    pub async fn put_blob(&self, data: &[u8]) -> Result<BlobRef, BusError> {
        let key = townreports_proto::sha256_hex(data);
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
