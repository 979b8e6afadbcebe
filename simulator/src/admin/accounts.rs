//! Accounts: list, create, change, delete. Parallel test suites can each make their own and
//! leave the demo accounts alone.

use axum::extract::State;
use http::StatusCode;
use serde_json::{Value, json};

use super::{AdminError, AdminResult, Body, Path, error, parse_body, provider};
use crate::domain::Provider;
use crate::events::Event;
use crate::providers::{Descriptor, Invalid, with_provider};
use crate::sim::{Sim, Stateful};

/// `GET /__admin/providers`: every provider the simulator serves, with what a client or a page
/// needs to know of it: its endpoints, the account id's name, credential parameters, hosts,
/// time zone, whether it sends callbacks, and its quirks.
pub(super) async fn providers() -> AdminResult {
    let providers: Vec<Value> = crate::providers::ENTRIES
        .iter()
        .map(|e| {
            json!({
                "name": e.provider.name(),
                "endpoints": e.endpoints.iter().map(|e| e.name()).collect::<Vec<_>>(),
                "account_id": e.account_id,
                "credentials": e.credentials.iter().map(|(name, _)| *name).collect::<Vec<_>>(),
                "hosts": e.hosts,
                "time_zone": {"name": e.zone.0, "utc_offset_hours": e.zone.1},
                "callbacks": e.callbacks,
                "methods": e.allow,
                "quirks": e.quirk_names,
            })
        })
        .collect();
    Ok(axum::Json(json!({"providers": providers})))
}

/// `GET /__admin/accounts`: every account, by provider.
pub(super) async fn list(State(sim): State<Sim>) -> AdminResult {
    let state = sim.state();
    let mut by_provider = serde_json::Map::new();
    for provider in Provider::ALL {
        let accounts = with_provider!(*provider, G => json!(G::accounts(G::part(&state)).values().collect::<Vec<_>>()));
        by_provider.insert(provider.name().to_owned(), accounts);
    }
    Ok(axum::Json(Value::Object(by_provider)))
}

/// `provider`'s account `id` as the API shows it, if it exists.
pub(super) fn account_json(sim: &Sim, provider: Provider, id: &str) -> Option<Value> {
    let state = sim.state();
    with_provider!(provider, G => G::accounts(G::part(&state)).get(id).map(|a| json!(a)))
}

fn invalid_account(Invalid { field, why }: Invalid) -> AdminError {
    error(StatusCode::BAD_REQUEST, format!("`{field}`: {why}"))
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
    let (id, created) = with_provider!(provider, G => create_account::<G>(&sim, &body))?;
    announce(&sim, provider, &id);
    Ok((StatusCode::CREATED, axum::Json(created)))
}

/// Adds the account `body` writes unless its id is empty (400) or taken (409); the id and the
/// account as the API shows it.
fn create_account<G: Stateful>(sim: &Sim, body: &[u8]) -> Result<(String, Value), AdminError> {
    let account: G::Account = parse_body(body)?;
    G::check_account(&account).map_err(invalid_account)?;
    let id = G::account_id(&account).to_owned();
    if id.is_empty() {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "the account's id must not be empty",
        ));
    }
    let mut state = sim.state();
    let accounts = G::accounts_mut(G::part_mut(&mut state));
    if accounts.contains_key(&id) {
        return Err(error(
            StatusCode::CONFLICT,
            format!("{} account {id:?} exists", G::PROVIDER.name()),
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
    let updated = with_provider!(provider, G => patch_account::<G>(&sim, &id, &body))?;
    announce(&sim, provider, &id);
    Ok(axum::Json(updated))
}

fn patch_account<G: Stateful>(sim: &Sim, id: &str, body: &[u8]) -> Result<Value, AdminError> {
    let patch: G::AccountPatch = parse_body(body)?;
    G::check_patch(&patch).map_err(invalid_account)?;
    let mut state = sim.state();
    let account = G::accounts_mut(G::part_mut(&mut state))
        .get_mut(id)
        .ok_or_else(|| not_found(G::PROVIDER, id))?;
    G::apply(account, patch);
    Ok(json!(account))
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
        with_provider!(provider, G => G::accounts_mut(G::part_mut(&mut state)).shift_remove(&id).map(|a| json!(a)))
    };
    let removed = removed.ok_or_else(|| not_found(provider, &id))?;
    announce(&sim, provider, &id);
    Ok(axum::Json(json!({"deleted": removed})))
}
