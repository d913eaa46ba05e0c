//! Group commit: the messages an indexer handles at once share write
//! transactions. Each message's write joins a queue; one writer task takes
//! whatever has queued (up to [`WRITE_BATCH`]) and does it in one
//! transaction ([`Store::write_all`]), then answers each waiting message.
//! While a transaction runs the next batch gathers, so batches grow with
//! the load and a lone message waits for nothing. Every message still
//! waits for its own write to commit before it announces and acks: the
//! delivery guarantees are the single-record ones.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};
use townreports_proto::v1::ReportRecord;
use townreports_store::{Prepared, Store, StoreError, Stored, Write, Written};

/// The most writes one transaction takes. A transaction holds the write
/// lock for its whole batch, so this also bounds how long an API writer
/// or another indexer waits.
pub const WRITE_BATCH: usize = 64;

/// The queue into an indexer's writer task; cheap to share.
#[derive(Clone)]
pub struct WriteQueue {
    sender: mpsc::Sender<Queued>,
}

struct Queued {
    write: Write,
    reply: oneshot::Sender<Result<Written, StoreError>>,
}

impl WriteQueue {
    /// Starts the writer task; it ends when the last queue handle is
    /// dropped and the queued writes are done.
    pub fn start(store: Arc<Store>) -> WriteQueue {
        let (sender, receiver) = mpsc::channel(WRITE_BATCH);
        tokio::spawn(write_batches(store, receiver));
        WriteQueue { sender }
    }

    /// [`Store::upsert`], in the next batch.
    pub async fn upsert(&self, record: ReportRecord, now_ms: i64) -> Result<Stored, StoreError> {
        // Segmenting is the slow part of a write: done here, on the
        // message's own task, not by the writer holding the lock.
        let prepared = Box::new(Prepared::of(record));
        match self.submit(Write::Upsert { prepared, now_ms }).await? {
            Written::Stored(stored) => Ok(*stored),
            Written::Announced => unreachable!("the store answers an upsert with what it stored"),
        }
    }

    /// [`Store::mark_announced`], in the next batch.
    pub async fn mark_announced(&self, id: &str, version: i64) -> Result<(), StoreError> {
        let id = id.to_string();
        self.submit(Write::Announced { id, version }).await.map(|_| ())
    }

    async fn submit(&self, write: Write) -> Result<Written, StoreError> {
        let stopped = || StoreError::Unavailable("the indexer's writer has stopped".into());
        let (reply, answer) = oneshot::channel();
        self.sender.send(Queued { write, reply }).await.map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

async fn write_batches(store: Arc<Store>, mut receiver: mpsc::Receiver<Queued>) {
    let mut queued = Vec::with_capacity(WRITE_BATCH);
    while receiver.recv_many(&mut queued, WRITE_BATCH).await > 0 {
        let (writes, replies): (Vec<Write>, Vec<_>) = queued.drain(..).map(|q| (q.write, q.reply)).unzip();
        metrics::histogram!("townreports_write_batch_size").record(writes.len() as f64);
        for (reply, result) in replies.into_iter().zip(write_batch(&store, &writes).await) {
            // The message gave up waiting (shutdown): its redelivery finds
            // the write done and owes only what it did not finish.
            let _ = reply.send(result);
        }
    }
}

/// The writes in one transaction. When that fails for a reason of one
/// write's own (not an outage), each is done alone, so a bad record fails
/// itself and not the batch it happened to join.
async fn write_batch(store: &Store, writes: &[Write]) -> Vec<Result<Written, StoreError>> {
    match store.write_all(writes).await {
        Ok(written) => written.into_iter().map(Ok).collect(),
        Err(StoreError::Unavailable(reason)) => writes
            .iter()
            .map(|_| Err(StoreError::Unavailable(reason.clone())))
            .collect(),
        Err(e) if writes.len() == 1 => vec![Err(e)],
        Err(e) => {
            tracing::warn!(writes = writes.len(), error = %e, "a batch failed; writing its records one by one");
            let mut results = Vec::with_capacity(writes.len());
            for write in writes {
                let alone = store.write_all(std::slice::from_ref(write)).await;
                results.push(alone.map(|mut written| written.remove(0)));
            }
            results
        }
    }
}
