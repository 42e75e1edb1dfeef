//! Integration tests: each test starts a real `scimd` on an ephemeral port
//! with a fresh SQLite database and speaks HTTP to it (DESIGN §11).

// Panicking on the unexpected is what a test is for.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod admin;
mod admin_audit;
mod admin_users;
mod audit;
mod auth;
mod bad_input;
mod bulk;
mod cli;
mod discovery;
mod dns_server;
mod domains;
mod durability;
mod errors;
mod etag;
mod event_schemas;
mod events;
mod extensions;
mod feed;
mod groups;
mod helpers;
mod jwt;
mod lifecycle;
mod limits;
mod list;
mod migrate;
mod nodes;
mod oauth;
mod outage;
mod patch;
mod persistence;
mod receiver;
mod setup_links;
mod ui;
mod users;
mod webhooks;
