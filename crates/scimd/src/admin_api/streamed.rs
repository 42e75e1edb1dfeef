//! A response body written a chunk at a time by a task of its own (the
//! audit export): the task sends chunks into a small bounded channel, so
//! it reads from the store no faster than the client takes them and stops
//! when the client goes away. Nothing larger than a few chunks is held.

use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes};
use http_body::Frame;
use tokio::sync::mpsc;

/// Chunks in flight between the writing task and the connection.
const IN_FLIGHT: usize = 2;

/// Why a streamed body stopped early: the client sees the connection cut,
/// never a complete-looking body.
#[derive(Debug)]
pub struct Aborted;

impl std::fmt::Display for Aborted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the streamed body could not be completed")
    }
}

impl std::error::Error for Aborted {}

/// The sending side: [`Sender::send`] is false once the client has gone.
pub struct Sender(mpsc::Sender<Result<Bytes, Aborted>>);

impl Sender {
    pub async fn send(&self, chunk: Vec<u8>) -> bool {
        self.0.send(Ok(Bytes::from(chunk))).await.is_ok()
    }

    /// Ends the body with an error.
    pub async fn abort(&self) {
        let _ = self.0.send(Err(Aborted)).await;
    }
}

struct Receiver(mpsc::Receiver<Result<Bytes, Aborted>>);

impl http_body::Body for Receiver {
    type Data = Bytes;
    type Error = Aborted;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Aborted>>> {
        self.0.poll_recv(cx).map(|chunk| chunk.map(|c| c.map(Frame::data)))
    }
}

/// A body and the sender that writes it.
pub fn channel() -> (Sender, Body) {
    let (tx, rx) = mpsc::channel(IN_FLIGHT);
    (Sender(tx), Body::new(Receiver(rx)))
}
