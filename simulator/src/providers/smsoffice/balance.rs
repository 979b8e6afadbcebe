//! smsoffice.ge `getBalance`: the balance as a bare number.

use axum::extract::Request;
use axum::response::Response;

use super::errors::{Envelope, SmsofficeError};
use super::{BalanceBadKey, Quirks, State, check_target, envelope, json_response, read};
use crate::http::params::Params;
use crate::http::{Handler, Read, Reply, Run};

/// A decoded getBalance request.
#[derive(Debug)]
pub struct Balance {
    params: Params,
}

/// What getBalance found: the balance, or why there is none.
#[derive(Debug)]
pub enum BalanceOutput {
    /// The account's balance.
    Found(u64),
    /// No key was given.
    KeyMissing,
    /// No account has the key.
    KeyUnknown,
}

impl Handler for Balance {
    type Quirks = Quirks;
    type State = State;
    type Output = BalanceOutput;

    fn check_head(request: &Request, quirks: &Quirks, _: &mut Vec<String>) -> Result<(), Response> {
        check_target(request, quirks)
    }

    fn decode(request: Read<'_, Quirks>) -> Result<Balance, Response> {
        let (_, params) = read(request, &["key"]);
        Ok(Balance { params })
    }

    fn execute(self, run: Run<'_, State, Quirks>) -> BalanceOutput {
        match self.params.value("key") {
            None => BalanceOutput::KeyMissing,
            Some(key) => run
                .state
                .accounts
                .get(key.as_ref())
                .map_or(BalanceOutput::KeyUnknown, |a| {
                    BalanceOutput::Found(a.balance)
                }),
        }
    }

    fn respond(output: BalanceOutput, quirks: &Quirks) -> Reply {
        let response = match (output, quirks.balance_bad_key) {
            (BalanceOutput::Found(balance), _) => json_response(quirks, balance.to_string()),
            (_, BalanceBadKey::Zero) => json_response(quirks, "0".to_owned()),
            (BalanceOutput::KeyMissing, BalanceBadKey::Envelope) => {
                envelope(quirks, Envelope::error(SmsofficeError::KeyMissing))
            }
            (BalanceOutput::KeyUnknown, BalanceBadKey::Envelope) => {
                envelope(quirks, Envelope::error(SmsofficeError::KeyIncorrect))
            }
        };
        Reply::from(response)
    }
}
