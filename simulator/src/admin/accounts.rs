//! Accounts: list, create, change, delete. Parallel test suites can each make their own and
//! leave the demo accounts alone.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use http::StatusCode;
use serde_json::{Value, json};

use super::listings::{DEFAULT_LIMIT, MAX_LIMIT};
use super::{AdminError, AdminResult, Body, Path, error, parse_body, provider, read_query};
use crate::config::check_account_id;
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

/// The accounts listing's query: one provider's accounts paged (`provider`, `after` an id,
/// `limit`), or every provider's first `limit`.
#[derive(Debug, serde::Deserialize)]
pub(super) struct AccountQuery {
    provider: Option<String>,
    after: Option<String>,
    limit: Option<usize>,
}

/// `GET /__admin/accounts`: every provider's accounts by provider, at most `limit` (1,000 by
/// default) each; with `provider`, that provider's accounts as a page like the other listings:
/// `{"count", "next", "accounts"}`, `next` the `after` that asks for the rest.
pub(super) async fn list(
    State(sim): State<Sim>,
    query: Result<Query<AccountQuery>, QueryRejection>,
) -> AdminResult {
    let query = read_query(query)?;
    let Some(name) = &query.provider else {
        if query.after.is_some() {
            return Err(error(StatusCode::BAD_REQUEST, "`after` needs `provider`"));
        }
        let limit = page_limit(query.limit, MAX_LIMIT)?;
        let state = sim.state();
        let mut by_provider = serde_json::Map::new();
        for provider in Provider::ALL {
            let page = with_provider!(*provider, G => page_of::<G>(&state, None, limit))?;
            by_provider.insert(provider.name().to_owned(), page.accounts);
        }
        drop(state);
        return Ok(axum::Json(Value::Object(by_provider)));
    };
    let provider = self::provider(name, StatusCode::BAD_REQUEST)?;
    let limit = page_limit(query.limit, DEFAULT_LIMIT)?;
    let page = {
        let state = sim.state();
        with_provider!(provider, G => page_of::<G>(&state, query.after.as_deref(), limit))?
    };
    Ok(axum::Json(json!({
        "count": page.count,
        "next": page.next,
        "accounts": page.accounts,
    })))
}

fn page_limit(limit: Option<usize>, default: usize) -> Result<usize, AdminError> {
    let limit = limit.unwrap_or(default);
    if (1..=MAX_LIMIT).contains(&limit) {
        Ok(limit)
    } else {
        Err(error(
            StatusCode::BAD_REQUEST,
            format!("`limit` must be 1 to {MAX_LIMIT}, got {limit}"),
        ))
    }
}

/// A page of accounts, copied out.
struct AccountPage {
    count: usize,
    next: Option<String>,
    accounts: Value,
}

/// `G`'s accounts after the id `after` (from the first without it), at most `limit`.
fn page_of<G: Stateful>(
    state: &crate::sim::State,
    after: Option<&str>,
    limit: usize,
) -> Result<AccountPage, AdminError> {
    let accounts = G::accounts(G::part(state));
    let start = match after {
        None => 0,
        Some(id) => accounts.get_index_of(id).map(|i| i + 1).ok_or_else(|| {
            error(
                StatusCode::BAD_REQUEST,
                format!("`after`: no {} account {id:?}", G::PROVIDER.name()),
            )
        })?,
    };
    let page: Vec<&G::Account> = accounts.values().skip(start).take(limit).collect();
    let next = (start + page.len() < accounts.len())
        .then(|| page.last().map(|a| G::account_id(a).to_owned()))
        .flatten();
    Ok(AccountPage {
        count: accounts.len(),
        next,
        accounts: json!(page),
    })
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
    check_account_id(&id).map_err(|why| {
        error(
            StatusCode::BAD_REQUEST,
            format!("the account's `{}` {why}", G::ACCOUNT_ID),
        )
    })?;
    let max = sim.config().limits.max_accounts;
    let mut state = sim.state();
    let accounts = G::accounts_mut(G::part_mut(&mut state));
    if accounts.contains_key(&id) {
        return Err(error(
            StatusCode::CONFLICT,
            format!("{} account {id:?} exists", G::PROVIDER.name()),
        ));
    }
    if accounts.len() >= max {
        return Err(error(
            StatusCode::CONFLICT,
            format!(
                "{} holds {max} accounts, limits.max_accounts: delete one, or raise the limit",
                G::PROVIDER.name()
            ),
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
