//! The pipeline's queue: bounded in bytes, never growing past its capacity. A request whose
//! documents do not fit is refused as a whole, so the receiver can push back on the client
//! (gRPC `RESOURCE_EXHAUSTED`/`UNAVAILABLE`, HTTP 429/503 with `Retry-After`) instead of
//! buffering without bound.

use std::sync::Arc;

use otel_xray_transport::OutgoingDocument;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};

/// A queued document with its share of the queue's bytes, given back when it is dropped (after
/// delivery or a counted drop).
#[derive(Debug)]
pub struct Queued {
    /// The document.
    pub doc: OutgoingDocument,
    _bytes: OwnedSemaphorePermit,
}

impl Queued {
    /// The document and the bytes it holds (given back when the permit is dropped).
    pub fn into_parts(self) -> (OutgoingDocument, OwnedSemaphorePermit) {
        (self.doc, self._bytes)
    }
}

/// Reads how full the queue is without keeping it open.
#[derive(Debug, Clone)]
pub struct QueueGauge {
    bytes: Arc<Semaphore>,
    capacity: usize,
}

impl QueueGauge {
    /// Bytes currently queued or being sent.
    pub fn used_bytes(&self) -> usize {
        self.capacity - self.bytes.available_permits()
    }
}

/// Why documents were not queued.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueueError {
    /// Not enough free space right now; the sender should retry later.
    #[error("the queue is full ({free} of {capacity} bytes free, {needed} needed)")]
    Full {
        /// Bytes needed.
        needed: usize,
        /// Bytes free.
        free: usize,
        /// The queue's size.
        capacity: usize,
    },
    /// The documents exceed the whole queue; retrying cannot help.
    #[error("the request's documents ({needed} bytes) exceed the whole queue ({capacity} bytes)")]
    TooLarge {
        /// Bytes needed.
        needed: usize,
        /// The queue's size.
        capacity: usize,
    },
    /// The pipeline is shutting down.
    #[error("the pipeline is shutting down")]
    Closed,
}

/// The sending side of the queue (cloned into every receiver).
#[derive(Debug, Clone)]
pub struct QueueSender {
    bytes: Arc<Semaphore>,
    capacity: usize,
    tx: mpsc::UnboundedSender<Queued>,
}

/// The receiving side (owned by the batcher).
pub type QueueReceiver = mpsc::UnboundedReceiver<Queued>;

/// A queue of `capacity` bytes.
pub fn queue(capacity: usize) -> (QueueSender, QueueReceiver) {
    let (tx, rx) = mpsc::unbounded_channel();
    let capacity = capacity.clamp(1, Semaphore::MAX_PERMITS);
    (
        QueueSender {
            bytes: Arc::new(Semaphore::new(capacity)),
            capacity,
            tx,
        },
        rx,
    )
}

/// Fixed queue cost of a document on top of its JSON, so that small documents count too.
const DOCUMENT_OVERHEAD: usize = 64;

/// A lower bound of what one translated span costs in the queue: the smallest segment document
/// (`name`, `id`, `trace_id`, times and flags) is about 150 bytes of JSON.
pub const MIN_DOCUMENT_COST: usize = 150 + DOCUMENT_OVERHEAD;

/// What a document costs in the queue: its JSON plus a fixed overhead, so empty documents count.
fn cost(doc: &OutgoingDocument) -> usize {
    doc.json.len() + DOCUMENT_OVERHEAD
}

impl QueueSender {
    /// Queues all `docs` or none.
    pub fn push_all(&self, docs: Vec<OutgoingDocument>) -> Result<(), QueueError> {
        if docs.is_empty() {
            return Ok(());
        }
        if self.tx.is_closed() {
            return Err(QueueError::Closed);
        }
        let needed: usize = docs.iter().map(cost).sum();
        if needed > self.capacity {
            return Err(QueueError::TooLarge {
                needed,
                capacity: self.capacity,
            });
        }
        let permits = u32::try_from(needed).map_err(|_| QueueError::TooLarge {
            needed,
            capacity: self.capacity,
        })?;
        let mut all = Arc::clone(&self.bytes)
            .try_acquire_many_owned(permits)
            .map_err(|_| QueueError::Full {
                needed,
                free: self.bytes.available_permits(),
                capacity: self.capacity,
            })?;
        for doc in docs {
            let share = all
                .split(cost(&doc))
                .expect("the permits were acquired for every document");
            self.tx
                .send(Queued { doc, _bytes: share })
                .map_err(|_| QueueError::Closed)?;
        }
        Ok(())
    }

    /// Bytes currently queued or being sent.
    pub fn used_bytes(&self) -> usize {
        self.capacity - self.bytes.available_permits()
    }

    /// The queue's size in bytes.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// A gauge that does not keep the queue open.
    pub fn gauge(&self) -> QueueGauge {
        QueueGauge {
            bytes: Arc::clone(&self.bytes),
            capacity: self.capacity,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use otel_xray_model::{SegmentId, TraceId};

    fn doc(n: usize) -> OutgoingDocument {
        OutgoingDocument {
            trace_id: TraceId([1; 16]),
            id: SegmentId([2; 8]),
            json: "x".repeat(n),
        }
    }

    #[test]
    fn refuses_what_does_not_fit_and_frees_on_delivery() {
        let (tx, mut rx) = queue(1_000);
        tx.push_all(vec![doc(400), doc(300)]).unwrap();
        assert_eq!(tx.used_bytes(), 828);
        assert!(matches!(tx.push_all(vec![doc(200)]), Err(QueueError::Full { .. })));
        assert!(matches!(
            tx.push_all(vec![doc(5_000)]),
            Err(QueueError::TooLarge { .. })
        ));
        let first = rx.try_recv().unwrap();
        drop(first);
        assert_eq!(tx.used_bytes(), 364);
        tx.push_all(vec![doc(200)]).unwrap();
        drop(rx);
        assert_eq!(tx.push_all(vec![doc(1)]), Err(QueueError::Closed));
    }
}
