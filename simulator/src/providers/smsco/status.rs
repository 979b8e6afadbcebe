//! smsco.ge `getstatus.php`: one status digit for a `mes_id`.

use axum::extract::Request;
use axum::response::Response;

use super::StatusAlias;

use super::errors::SmscoError;
use super::send::{Login, authenticate};
use super::{MES_ID, Quirks, State, StatusBody, UnknownMesId, read, text};
use crate::domain::Provider;
use crate::domain::messages::{IdValue, LookupKey, Message, Status};
use crate::http::{Handler, Read, Reply, Run};

/// The status digit of one message.
pub fn status_digit(status: Status) -> u8 {
    match status {
        Status::Accepted | Status::Scheduled => 2,
        Status::Pending => 0,
        Status::Delivered => 1,
        Status::Undelivered => 3,
        Status::Expired => 5,
        Status::Rejected => 6,
    }
}

/// A status digit as quirk `smsco.status_body` writes it; the names are the document's.
pub fn status_body(digit: u8, form: StatusBody) -> String {
    let name = match digit {
        0 => "Sent",
        1 => "Delivered",
        2 => "In process",
        3 => "Failed",
        4 => "Deleted",
        5 => "Expired",
        6 => "Rejected",
        _ => "Canceled",
    };
    match form {
        StatusBody::Digit => digit.to_string(),
        StatusBody::DigitAndName => format!("{digit} {name}"),
    }
}

/// The digit of a whole `mes_id`: one recipient's own; for several, `2` while any is unfinished,
/// `1` when all were delivered, else the first failure's digit.
pub fn aggregate_digit(messages: &[&Message]) -> u8 {
    match messages {
        [one] => status_digit(one.status),
        many if many.iter().any(|m| !m.status.is_final()) => 2,
        many => many
            .iter()
            .find(|m| m.status != Status::Delivered)
            .map_or(1, |m| status_digit(m.status)),
    }
}

/// A decoded getstatus.php request: credentials as sent, `mes_id` parsed (an
/// unparsable id finds nothing, like an unknown one).
#[derive(Debug)]
pub struct MessageStatus {
    login: Login<'static>,
    mes_id: Option<u64>,
}

impl Handler for MessageStatus {
    type Quirks = Quirks;
    type State = State;
    type Output = String;

    fn check_head(request: &Request, quirks: &Quirks, _: &mut Vec<String>) -> Result<(), Response> {
        let path = request.uri().path();
        let alias = path.split('/').filter(|s| !s.is_empty()).eq(["api", "getstatus.php"]);
        if quirks.status_alias == StatusAlias::NotFound && alias {
            return Err(crate::http::pages::not_found());
        }
        Ok(())
    }

    fn decode(request: Read<'_, Quirks>) -> Result<MessageStatus, Response> {
        let (params, _) = read(request, &["username", "password", "mes_id"]);
        Ok(MessageStatus {
            login: Login::from_params(&params).into_owned(),
            mes_id: params
                .value("mes_id")
                .and_then(|m| m.trim().parse::<u64>().ok()),
        })
    }

    fn execute(self, run: Run<'_, State, Quirks>) -> String {
        let Run {
            world,
            state,
            quirks,
            ..
        } = run;
        let account = match authenticate(state, &self.login) {
            Err(e) => return e.body(quirks.error_body),
            Ok(account) => account,
        };
        let messages: Vec<&Message> = match self.mes_id {
            None => Vec::new(),
            Some(mes_id) => world
                .messages
                .by_key(&LookupKey {
                    name: MES_ID,
                    value: IdValue::Number(mes_id),
                })
                .filter(|m| m.provider == Provider::Smsco && *m.account == *account.username)
                .collect(),
        };
        match (messages.is_empty(), quirks.status_unknown_mes_id) {
            (false, _) => status_body(aggregate_digit(&messages), quirks.status_body),
            (true, UnknownMesId::Empty) => String::new(),
            (true, UnknownMesId::Error2904) => SmscoError::SendingFailed.body(quirks.error_body),
        }
    }

    fn respond(body: String, quirks: &Quirks) -> Reply {
        Reply::from(text(quirks, body))
    }
}
