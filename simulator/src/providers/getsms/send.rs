//! getsms.uz `/smsgateway/`: a batch of `{phone, text}` items, each answered on its own.

use serde_json::{Value, json};

use crate::config::Quirks;
use crate::domain::accounts::GetsmsAccount;
use crate::domain::clock::Timestamp;
use crate::domain::error::{Error as DomainError, charge};
use crate::domain::messages::{Envelope, Message};
use crate::domain::numbers::{self, NumberClass, UZBEKISTAN};
use crate::domain::{Provider, World, segments};

use super::errors::GetsmsError;
use super::input::GetsmsInput;

/// Most items one request may carry.
pub const MAX_ITEMS: usize = 100;
/// Batches above this size work but are worth a lint (the provider advises smaller ones).
pub const LINT_ITEMS: usize = 50;

/// One `{phone, text}` item as given.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// The phone as written (a JSON string, or a JSON integer's digits).
    pub phone: String,
    /// The text.
    pub text: String,
}

/// Checks login, password and block: 100, 101, 102.
pub fn authenticate<'a>(
    world: &'a mut World,
    input: &GetsmsInput,
) -> Result<&'a mut GetsmsAccount, GetsmsError> {
    let (Some(login), Some(password)) = (
        input.login.as_deref().filter(|l| !l.is_empty()),
        input.password.as_deref().filter(|p| !p.is_empty()),
    ) else {
        return Err(GetsmsError::CredentialsMissing);
    };
    let account = match world.getsms.get_mut(login) {
        Some(account) if account.password == password => account,
        _ => return Err(DomainError::UnknownAccount.into()),
    };
    if account.blocked {
        return Err(DomainError::AccountBlocked.into());
    }
    Ok(account)
}

/// The items of `data`: an array of 1 to 100 objects, each with a string or integer `phone`
/// and a string `text`; anything else is 201.
pub fn items(data: &Value) -> Result<Vec<Item>, GetsmsError> {
    let array = data
        .as_array()
        .filter(|a| !a.is_empty() && a.len() <= MAX_ITEMS)
        .ok_or(GetsmsError::InvalidArray)?;
    array
        .iter()
        .map(|item| {
            let phone = match item.get("phone") {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Number(n)) if n.is_u64() || n.is_i64() => n.to_string(),
                _ => return Err(GetsmsError::InvalidArray),
            };
            let text = item
                .get("text")
                .and_then(Value::as_str)
                .ok_or(GetsmsError::InvalidArray)?;
            Ok(Item {
                phone,
                text: text.to_owned(),
            })
        })
        .collect()
}

/// Runs the checks in order and, on success, charges the account, stores one message per valid
/// item and returns the reply array.
pub fn send(
    world: &mut World,
    quirks: &Quirks,
    input: &GetsmsInput,
    now: Timestamp,
    client_ip: std::net::IpAddr,
    lints: &mut Vec<String>,
) -> Result<Value, GetsmsError> {
    let account = authenticate(world, input)?;
    let data = input
        .data
        .as_ref()
        .and_then(|d| d.parse())
        .ok_or(GetsmsError::NotJson)?;
    let items = items(&data)?;
    if items.len() > LINT_ITEMS {
        lints.push(format!(
            "{} items in one request; batches over {LINT_ITEMS} are risky against the real service",
            items.len()
        ));
    }
    let nickname = match input.nickname.as_deref().filter(|n| !n.is_empty()) {
        Some(nickname) => nickname.to_owned(),
        None if quirks.getsms_nickname_required => return Err(GetsmsError::NicknameMissing),
        None => account
            .nicknames
            .first()
            .cloned()
            .ok_or(GetsmsError::NicknameIncorrect)?,
    };
    if !account.nicknames.contains(&nickname) {
        return Err(GetsmsError::NicknameIncorrect);
    }
    let valid = |item: &Item| numbers::classify(&item.phone, UZBEKISTAN) == NumberClass::Valid;
    let cost: u64 = items
        .iter()
        .filter(|i| valid(i))
        .map(|i| u64::from(segments::count(&i.text).segments))
        .sum();
    charge(&mut account.balance, cost)?;
    let (login, user_id) = (account.login.clone(), account.user_id);

    let request_id = world.ids.next_getsms_request_id(&mut world.rng);
    let date_received = now.unix_seconds();
    let mut reply = Vec::with_capacity(items.len());
    for item in &items {
        let message_id = world.ids.getsms_message_id;
        world.ids.getsms_message_id += 1;
        let mut answer = serde_json::Map::new();
        if valid(item) {
            let envelope = Envelope {
                provider: Provider::Getsms,
                account: &login,
                sender: &nickname,
                destination: &item.phone,
                content: &item.text,
            };
            let mut message = Message::accepted(
                world.messages.next_id(),
                envelope,
                segments::count(&item.text),
                now,
                None,
            );
            message.request_id = Some(request_id);
            message.message_id = Some(message_id);
            message.client_ip = Some(client_ip);
            world.accept(message);
            // A valid phone is 12 digits, so it always fits a JSON number.
            answer.insert(
                "recipient".into(),
                json!(item.phone.parse::<u64>().unwrap_or_default()),
            );
        } else {
            let error = GetsmsError::NotAPhoneNumber;
            answer.insert("error".into(), json!(1));
            answer.insert("error_text".into(), json!(error.text()));
            answer.insert("error_no".into(), json!(error.code()));
            // A failed item echoes the phone as the string it was given.
            answer.insert("recipient".into(), json!(item.phone));
        }
        answer.insert("text".into(), json!(item.text));
        answer.insert("user_id".into(), json!(user_id));
        answer.insert("date_received".into(), json!(date_received));
        answer.insert("message_id".into(), json!(message_id));
        answer.insert("request_id".into(), json!(request_id));
        answer.insert("client_ip".into(), json!(client_ip.to_string()));
        reply.push(Value::Object(answer));
    }
    Ok(Value::Array(reply))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_accept_string_or_integer_phones_and_refuse_junk() {
        let ok = items(&json!([{"phone": "998901234567", "text": "a"}, {"phone": 998901234568u64, "text": "b"}])).unwrap();
        assert_eq!(ok[1].phone, "998901234568");
        for junk in [
            json!([]),
            json!({"phone": "998901234567", "text": "a"}),
            json!([{"phone": "998901234567"}]),
            json!([{"phone": ["998901234567"], "text": "a"}]),
            json!([{"phone": "998901234567", "text": {"nested": 1}}]),
            json!([{"phone": 99.5, "text": "a"}]),
            json!(["998901234567"]),
            Value::Array(vec![json!({"phone": "998901234567", "text": "a"}); 101]),
        ] {
            assert_eq!(items(&junk), Err(GetsmsError::InvalidArray), "{junk}");
        }
    }
}
