//! smsim: an offline stand-in for the smsoffice.ge, smsco.ge and getsms.uz SMS gateways.
//!
//! It reproduces the providers' endpoints and reply bodies byte for byte, keeps simulated
//! accounts and messages, and exposes an admin API under `/__admin`. Start it in-process from a
//! Rust test with [`Simulator::start_default`], or drive [`app`] without a socket.
//!
//! # Layout
//! - [`config`]: the typed configuration, the embedded defaults and the quirks.
//! - [`cli`]: `smsim` flags.
//! - [`server`]: listener, graceful shutdown, the in-process [`Simulator`] handle.
//! - [`domain`]: the simulated world without HTTP: accounts, messages, clock, journal, segments,
//!   rules, the schedule of due events.
//! - [`engine`]: fires due events as the clock moves; sends smsoffice callbacks.
//! - [`providers`]: one folder per provider: routes, wire formats, error codes.
//! - [`http`]: shared plumbing: parameter decoding, bodies, pages, the provider exchange (faults
//!   and the journal around every provider request).
//! - [`admin`]: the `/__admin` API.
//! - [`record`]: `smsim record`, the forwarding proxy that writes recorded fixtures.

pub mod admin;
pub mod cli;
pub mod config;
pub mod domain;
pub mod engine;
pub mod http;
pub mod providers;
pub mod record;
pub mod server;

pub use config::{Config, ConfigError};
pub use domain::Sim;
pub use server::{Simulator, app};
