//! Guild: a federated server for communities of practice.
//!
//! `docs/architecture.md` maps the modules; in short, requests enter through `federation`
//! (ActivityPub) or `web` (HTML), the rules live in `service`, and `db` stores everything.

pub mod api;
pub mod body_limit;
pub mod cli;
pub mod config;
pub mod context;
pub mod db;
pub mod embedded_pg;
pub mod error;
pub mod federation;
pub mod metrics;
pub mod page_cache;
pub mod rate_limit;
pub mod server;
pub mod service;
pub mod text;
pub mod urls;
pub mod web;
