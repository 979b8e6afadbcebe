//! smsim: an offline stand-in for the smsoffice.ge, smsco.ge and getsms.uz SMS gateways.
//!
//! It reproduces the providers' endpoints and reply bodies byte for byte, keeps simulated
//! accounts and messages, and exposes an admin API under `/__admin`. Start it in-process from a
//! Rust test with [`Simulator::start_default`], or drive [`app`] without a socket.
//!
//! # Layout
//! Dependencies point one way, each layer using only those listed before it (the repository's
//! `ARCHITECTURE.md` draws them):
//! - `domain`: the simulated world without HTTP, CLI or provider knowledge: messages, clock,
//!   schedule, rules, faults as data, journal, segments.
//! - `http`: plumbing that knows no provider: reading requests, parameters, pages, the `Handler`
//!   shape of an endpoint.
//! - `providers`: one folder per provider owning everything about it; its configuration types
//!   are public as [`smsoffice`], [`smsco`] and [`getsms`].
//! - [`config`]: the typed configuration, composed of the providers' sections and quirks.
//! - `sim`: one running simulation ([`Sim`]): the world and each provider's state behind one lock.
//! - `gateway`: routes a request, applies faults, runs the endpoint, writes the journal.
//! - `engine`, `admin`, `server` ([`Simulator`]), [`cli`]: time, the `/__admin` API, the
//!   listener, flags.
//! - `record` (feature `record`): `smsim record`, the proxy that writes recorded fixtures.

mod admin;
pub mod cli;
pub mod config;
mod domain;
mod engine;
mod events;
mod gateway;
mod http;
pub mod log;
mod providers;
#[cfg(feature = "record")]
pub mod record;
mod server;
mod sim;
#[cfg_attr(not(feature = "tls"), allow(dead_code))]
pub mod tls;

pub use config::{Config, ConfigError, Quirks};
pub use domain::clock::{ClockMode, Timestamp};
pub use domain::messages::{Message, Status};
pub use domain::segments;
pub use domain::{Endpoint, Provider};
/// What each provider declares about itself (endpoints, credential parameters and their fixture
/// placeholders, live-mode variables, hosts, time zone, ...), in the order the simulator lists
/// providers, and one provider's declaration.
pub use providers::{
    ENTRIES as PROVIDERS, Entry as ProviderEntry, ProviderDocument, Routed, entry as provider_entry,
};
pub use server::{Simulator, app};
pub use sim::Sim;

/// smsoffice.ge's part of the configuration: quirks, accounts, callbacks.
pub mod smsoffice {
    pub use crate::providers::smsoffice::accounts::{Section, SmsofficeAccount, SmsofficeSender};
    pub use crate::providers::smsoffice::callbacks::{CallbackConfig, OperatorPrefix};
    pub use crate::providers::smsoffice::quirks::*;
}

/// smsco.ge's part of the configuration: quirks and accounts.
pub mod smsco {
    pub use crate::providers::smsco::accounts::{Section, SmscoAccount};
    pub use crate::providers::smsco::quirks::*;
}

/// getsms.uz's part of the configuration: quirks, accounts and the allow-list.
pub mod getsms {
    pub use crate::providers::getsms::accounts::{GetsmsAccount, Section};
    pub use crate::providers::getsms::allow_list::IpRange;
    pub use crate::providers::getsms::quirks::*;
}
