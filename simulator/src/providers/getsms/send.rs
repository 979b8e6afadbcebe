//! getsms.uz `/smsgateway/`: a batch of `{phone, text}` items, each answered on its own.

use std::net::IpAddr;
use std::sync::Arc;

use axum::response::Response;
use serde::Serialize;

use super::batch::{self, Item};
use super::errors::GetsmsError;
use super::input::GetsmsInput;
use super::{Decoded, GetsmsAccount, MESSAGE_ID, Handled, Quirks, REQUEST_ID, State, decode};
use crate::domain::{Origin, Provider, World};
use crate::domain::error::{Error as DomainError, charge};
use crate::domain::messages::{IdValue, ProviderId};
use crate::http::{Handler, Read, Reply, Run};

/// Batches above this size work but are worth a lint (the provider advises smaller ones).
pub const LINT_ITEMS: usize = 50;

/// Checks login, password and block: 100, 101, 102.
pub fn authenticate<'a>(
    state: &'a mut State,
    input: &GetsmsInput,
) -> Result<&'a mut GetsmsAccount, GetsmsError> {
    let (Some(login), Some(password)) = (
        input.login.as_deref().filter(|l| !l.is_empty()),
        input.password.as_deref().filter(|p| !p.is_empty()),
    ) else {
        return Err(GetsmsError::CredentialsMissing);
    };
    let account = match state.accounts.get_mut(login) {
        Some(account) if account.password == password => account,
        _ => return Err(DomainError::UnknownAccount.into()),
    };
    if account.blocked {
        return Err(DomainError::AccountBlocked.into());
    }
    Ok(account)
}

/// A reply item's `recipient`: a valid phone as a JSON number (12 digits always fit), an
/// invalid one echoed as the string it was given.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Recipient {
    /// An accepted item's phone.
    Number(u64),
    /// A refused item's phone, as given.
    Text(String),
}

/// The reply to one item, keys in the provider's order; a refused item (error 300) leads with
/// the error fields.
#[derive(Debug, Serialize)]
pub struct ItemReply {
    /// 1 for a refused item.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<u8>,
    /// The refusal's text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_text: Option<&'static str>,
    /// The refusal's code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_no: Option<u16>,
    /// The phone.
    pub recipient: Recipient,
    /// The text.
    pub text: Arc<str>,
    /// The account's `user_id`.
    pub user_id: u64,
    /// Unix seconds of the request.
    pub date_received: i64,
    /// This item's id (a refused item uses one up too).
    pub message_id: u64,
    /// The request's id, shared by its items.
    pub request_id: u64,
    /// The caller's address.
    pub client_ip: Arc<str>,
}

/// A send as decoded: the parameters, and the items parsed from `data` (or why they are
/// refused, answered only once the credentials pass).
#[derive(Debug)]
pub struct SendInput {
    /// Login, password, nickname.
    pub input: GetsmsInput,
    /// The checked items.
    pub items: Result<Vec<Item>, GetsmsError>,
}

/// Runs the checks in order and, on success, charges the account, stores one message per valid
/// item and returns one reply per item.
pub fn send(
    run: Run<'_, State, Quirks>,
    SendInput { input, items }: SendInput,
    client_ip: IpAddr,
) -> Result<Vec<ItemReply>, GetsmsError> {
    let Run {
        world,
        state,
        quirks,
        now,
        lints,
    } = run;
    let account = authenticate(state, &input)?;
    let items = items?;
    if items.len() > LINT_ITEMS {
        lints.push(format!(
            "{} items in one request; batches over {LINT_ITEMS} are risky against the real service",
            items.len()
        ));
    }
    let nickname = match input.nickname.as_deref().filter(|n| !n.is_empty()) {
        Some(nickname) => nickname,
        None if quirks.nickname_required => return Err(GetsmsError::NicknameMissing),
        None => account
            .nicknames
            .first()
            .map(String::as_str)
            .ok_or(GetsmsError::NicknameIncorrect)?,
    };
    if !account.nicknames.iter().any(|n| n == nickname) {
        return Err(GetsmsError::NicknameIncorrect);
    }
    let cost: u64 = items
        .iter()
        .filter(|i| i.valid)
        .map(|i| u64::from(i.count.segments))
        .sum();
    charge(&mut account.balance, cost)?;
    let (login, user_id) = (world.names.shared(&account.login), account.user_id);
    let nickname = world.names.shared(nickname);

    let request_id = state.take_request_id(&mut world.rng);
    let request_ids = [ProviderId {
        name: REQUEST_ID,
        value: IdValue::Number(request_id),
        indexed: true,
    }];
    let origin = Origin {
        provider: Provider::Getsms,
        account: &login,
        sender: &nickname,
        now,
        scheduled_at: None,
        client_ip: Some(client_ip),
        ids: &request_ids,
    };
    let ids = ReplyIds {
        user_id,
        request_id,
        client_ip,
    };
    Ok(store_items(world, state, &origin, items, &ids))
}

/// What every item's reply of one request repeats.
struct ReplyIds {
    user_id: u64,
    request_id: u64,
    client_ip: IpAddr,
}

/// Stores one message per valid item and writes every item's reply.
fn store_items(
    world: &mut World,
    state: &mut State,
    origin: &Origin<'_>,
    items: Vec<Item>,
    ids: &ReplyIds,
) -> Vec<ItemReply> {
    // Written once, shared by every item's reply.
    let client_ip_text: Arc<str> = Arc::from(ids.client_ip.to_string());
    let mut reply = Vec::with_capacity(items.len());
    for item in items {
        let message_id = state.take_message_id();
        let (recipient, refusal) = if item.valid {
            let recipient = Recipient::Number(item.phone.parse().unwrap_or_default());
            world.accept_in(origin, item.phone, &item.text, item.count, |message| {
                message.ids.push(ProviderId {
                    name: MESSAGE_ID,
                    value: IdValue::Number(message_id),
                    indexed: false,
                });
            });
            (recipient, None)
        } else {
            (
                Recipient::Text(item.phone),
                Some(GetsmsError::NotAPhoneNumber),
            )
        };
        reply.push(ItemReply {
            error: refusal.map(|_| 1),
            error_text: refusal.map(GetsmsError::text),
            error_no: refusal.map(GetsmsError::code),
            recipient,
            text: item.text,
            user_id: ids.user_id,
            date_received: origin.now.unix_seconds(),
            message_id,
            request_id: ids.request_id,
            client_ip: Arc::clone(&client_ip_text),
        });
    }
    reply
}

/// A decoded `/smsgateway/` request.
#[derive(Debug)]
pub struct SendSms {
    decoded: Decoded,
    items: Result<Vec<Item>, GetsmsError>,
}

impl Handler for SendSms {
    type Quirks = Quirks;
    type State = State;
    type Output = Handled<Vec<ItemReply>>;

    fn decode(request: Read<'_, Quirks>) -> Result<SendSms, Response> {
        let decoded = decode(request);
        let items = batch::items(decoded.input.data.as_ref());
        Ok(SendSms { decoded, items })
    }

    fn execute(self, run: Run<'_, State, Quirks>) -> Self::Output {
        let SendSms {
            decoded: Decoded { input, caller },
            items,
        } = self;
        let Some(ip) = caller.admitted(run.state) else {
            // getsms turns the caller away before reading anything: nothing to lint.
            run.lints.clear();
            return Handled::Forbidden;
        };
        let input = SendInput { input, items };
        Handled::from_result(send(run, input, ip))
    }

    fn respond(output: Self::Output, quirks: &Quirks) -> Reply {
        output.respond(quirks, true)
    }
}
