//! Accounts: list, create, change, delete. Parallel test suites can each make their own and
//! leave the demo accounts alone.

use axum::extract::{Path, State};
use http::StatusCode;
use indexmap::IndexMap;
use serde_json::{Value, json};

use super::{AdminError, AdminResult, Body, error, parse_body, provider};
use crate::config::validate_callback_url;
use crate::domain::Provider;
use crate::events::Event;
use crate::providers::{getsms, smsco, smsoffice};
use crate::sim::Sim;

/// `GET /__admin/accounts`: every account, by provider.
pub(super) async fn list(State(sim): State<Sim>) -> AdminResult {
    let state = sim.state();
    Ok(axum::Json(json!({
        "smsoffice": state.smsoffice.accounts.values().collect::<Vec<_>>(),
        "smsco": state.smsco.accounts.values().collect::<Vec<_>>(),
        "getsms": state.getsms.accounts.values().collect::<Vec<_>>(),
    })))
}

fn checked_callback_url(url: Option<&str>) -> Result<(), AdminError> {
    match url {
        Some(url) => validate_callback_url(url)
            .map_err(|why| error(StatusCode::BAD_REQUEST, format!("`callback_url`: {why}"))),
        None => Ok(()),
    }
}

fn announce(sim: &Sim, provider: Provider, id: &str) {
    sim.events().publish(Event::Account {
        provider,
        id: id.to_owned(),
    });
}

/// `POST /__admin/accounts/{provider}`: a new account, written as in the configuration file
/// (its id field, `balance`, and the fields `PATCH` takes). 201 with it; 409 if the id exists.
pub(super) async fn create(
    State(sim): State<Sim>,
    Path(provider): Path<String>,
    Body(body): Body,
) -> Result<(StatusCode, axum::Json<Value>), AdminError> {
    let provider = self::provider(&provider, StatusCode::NOT_FOUND)?;
    let (id, created) = match provider {
        Provider::Smsoffice => {
            let account: smsoffice::SmsofficeAccount = parse_body(&body)?;
            checked_callback_url(account.callback_url.as_deref())?;
            let id = account.key.clone();
            insert_new(provider, &mut sim.state().smsoffice.accounts, id, account)?
        }
        Provider::Smsco => {
            let account: smsco::SmscoAccount = parse_body(&body)?;
            let id = account.username.clone();
            insert_new(provider, &mut sim.state().smsco.accounts, id, account)?
        }
        Provider::Getsms => {
            let account: getsms::GetsmsAccount = parse_body(&body)?;
            let id = account.login.clone();
            insert_new(provider, &mut sim.state().getsms.accounts, id, account)?
        }
    };
    announce(&sim, provider, &id);
    Ok((StatusCode::CREATED, axum::Json(created)))
}

/// Adds `account` under `id` unless the id is empty (400) or taken (409); the id and the
/// account as the API shows it.
fn insert_new<A: serde::Serialize>(
    provider: Provider,
    accounts: &mut IndexMap<String, A>,
    id: String,
    account: A,
) -> Result<(String, Value), AdminError> {
    if id.is_empty() {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "the account's id must not be empty",
        ));
    }
    if accounts.contains_key(&id) {
        return Err(error(
            StatusCode::CONFLICT,
            format!("{} account {id:?} exists", provider.name()),
        ));
    }
    let created = json!(account);
    accounts.insert(id.clone(), account);
    Ok((id, created))
}

/// `PATCH /__admin/accounts/{provider}/{id}`: the fields given replace the account's.
pub(super) async fn patch(
    State(sim): State<Sim>,
    Path((provider, id)): Path<(String, String)>,
    Body(body): Body,
) -> AdminResult {
    let provider = self::provider(&provider, StatusCode::NOT_FOUND)?;
    let not_found = || not_found(provider, &id);
    let updated = match provider {
        Provider::Smsoffice => {
            let patch: smsoffice::SmsofficeAccountPatch = parse_body(&body)?;
            if let Some(Some(url)) = &patch.callback_url {
                checked_callback_url(Some(url))?;
            }
            let mut state = sim.state();
            let account = state
                .smsoffice
                .accounts
                .get_mut(&id)
                .ok_or_else(not_found)?;
            account.apply(patch);
            json!(account)
        }
        Provider::Smsco => {
            let patch: smsco::SmscoAccountPatch = parse_body(&body)?;
            let mut state = sim.state();
            let account = state.smsco.accounts.get_mut(&id).ok_or_else(not_found)?;
            account.apply(patch);
            json!(account)
        }
        Provider::Getsms => {
            let patch: getsms::GetsmsAccountPatch = parse_body(&body)?;
            let mut state = sim.state();
            let account = state.getsms.accounts.get_mut(&id).ok_or_else(not_found)?;
            account.apply(patch);
            json!(account)
        }
    };
    announce(&sim, provider, &id);
    Ok(axum::Json(updated))
}

fn not_found(provider: Provider, id: &str) -> AdminError {
    error(
        StatusCode::NOT_FOUND,
        format!("no {} account {id:?}", provider.name()),
    )
}

/// `DELETE /__admin/accounts/{provider}/{id}`: removes the account (its messages stay).
pub(super) async fn delete(
    State(sim): State<Sim>,
    Path((provider, id)): Path<(String, String)>,
) -> AdminResult {
    let provider = self::provider(&provider, StatusCode::NOT_FOUND)?;
    let removed = {
        let mut state = sim.state();
        match provider {
            Provider::Smsoffice => state.smsoffice.accounts.shift_remove(&id).map(|a| json!(a)),
            Provider::Smsco => state.smsco.accounts.shift_remove(&id).map(|a| json!(a)),
            Provider::Getsms => state.getsms.accounts.shift_remove(&id).map(|a| json!(a)),
        }
    };
    let removed = removed.ok_or_else(|| not_found(provider, &id))?;
    announce(&sim, provider, &id);
    Ok(axum::Json(json!({"deleted": removed})))
}
