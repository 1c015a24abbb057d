//! The pipeline's queue: bounded in bytes, never growing past its capacity. A request whose
//! documents do not fit is refused as a whole, so the receiver can push back on the client
//! (gRPC `RESOURCE_EXHAUSTED`/`UNAVAILABLE`, HTTP 429/503 with `Retry-After`) instead of
//! buffering without bound.

use std::sync::Arc;

use otel_xray_transport::OutgoingDocument;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};

/// The documents of one request (or one datagram), queued together with their share of the
/// queue's bytes, given back when the permit is dropped (after delivery or a counted drop).
///
/// A request is one message through the queue, not one per document: the batcher splits and
/// regroups them, so the hand-off costs one channel operation (and at most one wake-up) per
/// request.
#[derive(Debug)]
pub struct Queued {
    /// The documents, in order.
    pub docs: Vec<OutgoingDocument>,
    bytes: OwnedSemaphorePermit,
}

impl Queued {
    /// The documents and the bytes they hold (given back when the permit is dropped; split it
    /// with [`cost`] per document to give back part of it).
    pub fn into_parts(self) -> (Vec<OutgoingDocument>, OwnedSemaphorePermit) {
        (self.docs, self.bytes)
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
pub fn cost(doc: &OutgoingDocument) -> usize {
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
        let bytes = Arc::clone(&self.bytes)
            .try_acquire_many_owned(permits)
            .map_err(|_| QueueError::Full {
                needed,
                free: self.bytes.available_permits(),
                capacity: self.capacity,
            })?;
        self.tx.send(Queued { docs, bytes }).map_err(|_| QueueError::Closed)
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
        let (mut docs, mut bytes) = rx.try_recv().unwrap().into_parts();
        assert_eq!(docs.len(), 2);
        let first = bytes.split(cost(&docs.remove(0))).unwrap();
        drop(first);
        assert_eq!(tx.used_bytes(), 364);
        tx.push_all(vec![doc(200)]).unwrap();
        drop(rx);
        assert_eq!(tx.push_all(vec![doc(1)]), Err(QueueError::Closed));
    }
}
