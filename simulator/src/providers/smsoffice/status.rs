//! smsoffice.ge `getMessageStatus`: a message's state by destination and reference.

use axum::extract::Request;
use axum::response::Response;

use super::errors::{Envelope, Output, SmsofficeError};
use super::{CheckOrder, Quirks, State, StatusNeverSent, authenticate, check_target, envelope, read};
use super::{REFERENCE, status_word};
use crate::domain::Provider;
use crate::domain::messages::{IdValue, LookupKey};
use crate::http::{Handler, Read, Reply, Run};

/// A decoded getMessageStatus request; an empty `reference` counts as none.
#[derive(Debug)]
pub struct MessageStatus {
    key: Option<String>,
    destination: Option<String>,
    reference: Option<String>,
}

impl Handler for MessageStatus {
    type Quirks = Quirks;
    type State = State;
    type Output = Result<&'static str, SmsofficeError>;

    fn check_head(request: &Request, quirks: &Quirks, _: &mut Vec<String>) -> Result<(), Response> {
        check_target(request, quirks)
    }

    fn decode(request: Read<'_, Quirks>) -> Result<MessageStatus, Response> {
        let (_, params) = read(request, &["key", "destination", "reference"]);
        Ok(MessageStatus {
            key: params.get("key"),
            destination: params.get("destination"),
            reference: params.get("reference").filter(|r| !r.is_empty()),
        })
    }

    fn execute(self, run: Run<'_, State, Quirks>) -> Self::Output {
        let Run {
            world,
            state,
            quirks,
            ..
        } = run;
        let key = self.key.ok_or(SmsofficeError::KeyMissing)?;
        if quirks.check_order == CheckOrder::AuthFirst {
            authenticate(state, &key)?;
        }
        let destination = self.destination.ok_or(SmsofficeError::DestinationMissing)?;
        if quirks.check_order == CheckOrder::PresenceFirst {
            authenticate(state, &key)?;
        }
        // Messages sent without a reference cannot be looked up (documented).
        let found = self.reference.and_then(|reference| {
            world
                .messages
                .by_key(&LookupKey {
                    name: REFERENCE,
                    value: IdValue::Text(reference),
                })
                .rev()
                .find(|m| {
                    m.provider == Provider::Smsoffice
                        && *m.account == *key
                        && m.destination == *destination
                })
        });
        Ok(match (found, quirks.status_never_sent) {
            (Some(message), _) => status_word(message.status),
            (None, StatusNeverSent::Unknown) => "Unknown",
            (None, StatusNeverSent::Pending) => "Pending",
        })
    }

    fn respond(output: Self::Output, quirks: &Quirks) -> Reply {
        let reply = match output {
            Ok(status) => Envelope::success(Some(Output::Status { status })),
            Err(e) => Envelope::error(e),
        };
        Reply::from(envelope(quirks, reply))
    }
}
