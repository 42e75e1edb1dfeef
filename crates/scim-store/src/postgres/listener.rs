//! This node's ear for the others: one connection outside the pool that
//! LISTENs on [`super::EVENTS_CHANNEL`] and [`super::CHANGES_CHANNEL`] and
//! turns each notification into a bump of the matching watch. When the
//! connection drops (a database restart, a failover) it reconnects every
//! second and then bumps both, since notifications sent meanwhile are lost.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::{CHANGES_CHANNEL, EVENTS_CHANNEL, connection};

pub(crate) struct Listener {
    task: JoinHandle<()>,
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Listener {
    pub(crate) fn start(url: String, events: Arc<watch::Sender<u64>>, changes: Arc<watch::Sender<u64>>) -> Arc<Self> {
        let task = tokio::spawn(async move {
            let mut first = true;
            loop {
                let (e, c) = (Arc::clone(&events), Arc::clone(&changes));
                let on_notify = move |channel: &str, _: &str| {
                    let watch = if channel == EVENTS_CHANNEL { &e } else { &c };
                    watch.send_modify(|n| *n += 1);
                };
                match connection::listen(&url, &[EVENTS_CHANNEL, CHANGES_CHANNEL], on_notify).await {
                    Ok((client, reader)) => {
                        if !first {
                            events.send_modify(|n| *n += 1);
                            changes.send_modify(|n| *n += 1);
                        }
                        first = false;
                        // The client must live as long as its connection.
                        let _ = reader.await;
                        drop(client);
                        tracing::warn!("lost the database connection that listens for other nodes; reconnecting");
                    }
                    Err(e) => tracing::debug!(error = %e, "cannot listen for other nodes yet"),
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        });
        Arc::new(Listener { task })
    }
}
