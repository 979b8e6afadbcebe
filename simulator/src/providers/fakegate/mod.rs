//! fakegate: a provider that exists only in the library's own tests, to prove that a provider is
//! one folder and one line in `providers/mod.rs`. One endpoint, `/fakegate/send?token=&to=&text=`,
//! answering `OK <id>`, and one error, `ERR 1` for an unknown token.

use std::sync::Arc;

use axum::response::Response;
use compact_str::CompactString;
use serde::{Deserialize, Serialize};

use crate::domain::{Endpoint, Origin, Provider, segments};
use crate::http::params::{DuplicateParams, NameMatching, Params};
use crate::http::{Handler, OverLimit, Read, Reply, Run, with_content_type};
use crate::providers::{Descriptor, QuirkSet, Routed, Runner, accounts_by, exact};

/// The test-only provider.
#[derive(Debug, Clone, Copy)]
pub struct Fakegate;

/// `/fakegate/send`.
pub const SEND: Endpoint = Endpoint::new(Provider::Fakegate, "send");

const PATHS: &[(&str, Endpoint)] = &[("/fakegate/send", SEND)];

/// Its one quirk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Quirks {
    /// The replies' `Content-Type`.
    pub content_type: String,
}

impl Default for Quirks {
    fn default() -> Quirks {
        Quirks {
            content_type: "text/plain".into(),
        }
    }
}

impl QuirkSet for Quirks {
    const NAMES: &'static [&'static str] = &["content_type"];

    fn flip(&mut self, name: &str) -> bool {
        if name != "content_type" {
            return false;
        }
        self.content_type = if self.content_type == "text/plain" {
            "text/html".into()
        } else {
            "text/plain".into()
        };
        true
    }

    fn content_type(&self) -> &str {
        &self.content_type
    }
}

/// An account: a token and a balance in messages.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "FakegateAccount")]
pub struct Account {
    /// What clients send as `token`.
    pub token: String,
    /// Messages left.
    #[serde(deserialize_with = "crate::providers::int64::at_most")]
    pub balance: u64,
}

account_patch! {
    /// A change to an account.
    #[schemars(rename = "FakegateAccountPatch")]
    pub struct AccountPatch for Account {
        /// New balance.
        #[serde(default, deserialize_with = "crate::providers::int64::at_most_some")]
        balance: u64,
    }
}

/// Its section of the configuration.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Section {
    /// Accounts, by token.
    #[serde(default)]
    pub accounts: Vec<Account>,
}

/// Its part of the running world.
#[derive(Debug, Clone, Default)]
pub struct State {
    /// Accounts by token.
    pub accounts: crate::providers::Accounts<Account>,
}

impl State {
    fn new(section: &Section) -> State {
        State {
            accounts: accounts_by(&section.accounts, |a| &a.token),
        }
    }
}

impl Descriptor for Fakegate {
    const PROVIDER: Provider = Provider::Fakegate;
    const HOSTS: &'static [&'static str] = &["fakegate.test"];
    const ENDPOINTS: &'static [Endpoint] = &[SEND];
    const CREDENTIALS: &'static [(&'static str, &'static str)] = &[("token", "{{fakegate.token}}")];
    const LIVE_ENV: &'static [(&'static str, &'static str)] =
        &[("token", "SMSIM_LIVE_FAKEGATE_TOKEN")];
    const ACCOUNT_ID: &'static str = "token";
    const MAX_BODY_BYTES: usize = 1024;
    const OVER_BODY_LIMIT: OverLimit = OverLimit::Refuse;
    const ALLOW: &'static str = "GET, POST";
    const TEMPORARY_ERROR: i64 = 1;
    const ZONE: (&'static str, i64) = ("utc", 0);

    type Quirks = Quirks;
    type Section = Section;
    type State = State;
    type Account = Account;
    type AccountPatch = AccountPatch;

    fn route(path: &str) -> Option<Routed> {
        exact(PATHS, path).map(|endpoint| Routed {
            endpoint,
            lint: None,
        })
    }

    #[inline(always)]
    fn dispatch<R: Runner<Self>>(_endpoint: Endpoint, runner: R) -> R::Output {
        runner.run::<SendSms>()
    }

    fn error_response(quirks: &Quirks, _code: i64) -> Response {
        with_content_type("ERR 1", &quirks.content_type)
    }

    fn check_error_code(code: i64) -> Result<(), String> {
        if code == 1 {
            Ok(())
        } else {
            Err(format!("{code} is not a fakegate code; valid: 1"))
        }
    }

    accounts_in_fields!(Account, AccountPatch, token);

    fn banner_line(a: &Account) -> String {
        format!("  fakegate  token={} balance={}", a.token, a.balance)
    }
}

/// A send, decoded.
#[derive(Debug)]
pub struct SendSms {
    token: String,
    to: String,
    text: String,
}

impl Handler for SendSms {
    type Quirks = Quirks;
    type State = State;
    type Output = Option<u64>;

    fn decode(read: Read<'_, Quirks>) -> Result<SendSms, Response> {
        let body = read.raw.body_params();
        let params = Params::new(
            read.raw.query_params(),
            body,
            NameMatching::Exact,
            DuplicateParams::Last,
            true,
            &["token", "to", "text"],
        );
        let token = params.get("token").unwrap_or_default();
        *read.account = Some(CompactString::from(token.as_str()));
        Ok(SendSms {
            token,
            to: params.get("to").unwrap_or_default(),
            text: params.get("text").unwrap_or_default(),
        })
    }

    fn execute(self, run: Run<'_, State, Quirks>) -> Option<u64> {
        let account = run.state.accounts.get_mut(&self.token)?;
        account.balance = account.balance.saturating_sub(1);
        // Names are kept once for every message that carries them; each text is its own.
        let (account, sender) = (
            run.world.names.shared(&self.token),
            run.world.names.shared("FAKE"),
        );
        let origin = Origin {
            provider: Provider::Fakegate,
            account: &account,
            sender: &sender,
            now: run.now,
            scheduled_at: None,
            client_ip: None,
            ids: &[],
        };
        let count = segments::count(&self.text);
        let id = run
            .world
            .accept_in(&origin, self.to, &Arc::from(self.text), count, |_| {});
        Some(id)
    }

    fn respond(output: Option<u64>, quirks: &Quirks) -> Reply {
        match output {
            Some(id) => Reply {
                response: with_content_type(format!("OK {id}"), &quirks.content_type),
                wake_engine: true,
            },
            None => Fakegate::error_response(quirks, 1).into(),
        }
    }
}

/// The proof that a provider registered by its one line gets the rest of the program: the
/// gateway, the journal, faults, the admin listings, the accounts API and the provider listing
/// the inbox reads, with nothing written for it outside this folder.
#[cfg(test)]
mod tests {
    use axum::body::Body;
    use http::{Method, Request, StatusCode};
    use http_body_util::BodyExt;
    use serde_json::{Value, json};
    use tower::ServiceExt;

    use crate::config::Config;
    use crate::sim::Sim;

    async fn call(app: &axum::Router, method: Method, uri: &str, body: Option<Value>) -> (StatusCode, String) {
        let changes = method != Method::GET;
        let mut request = Request::builder().method(method).uri(uri);
        if changes {
            request = request.header("content-type", "application/json");
        }
        let body = body.map_or_else(Body::empty, |b| Body::from(b.to_string()));
        let response = app.clone().oneshot(request.body(body).unwrap()).await.unwrap();
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (status, String::from_utf8(bytes.to_vec()).unwrap())
    }

    async fn json(app: &axum::Router, uri: &str) -> Value {
        let (status, body) = call(app, Method::GET, uri, None).await;
        assert_eq!(status, StatusCode::OK, "{uri}: {body}");
        serde_json::from_str(&body).unwrap()
    }

    fn app() -> axum::Router {
        let mut config = Config::from_json(
            r#"{"fakegate": {"accounts": [{"token": "t1", "balance": 5}]},
                "quirks": {"fakegate.content_type": "text/plain"}}"#,
            "test",
        )
        .unwrap();
        config.seed = Some(1);
        crate::server::app(Sim::new(config))
    }

    #[tokio::test]
    async fn a_provider_in_the_list_is_served_journaled_faulted_and_listed() {
        let app = app();
        let send = "/fakegate/send?token=t1&to=123456&text=hello";
        assert_eq!(call(&app, Method::GET, send, None).await, (StatusCode::OK, "OK 1".into()));
        assert_eq!(
            call(&app, Method::GET, "/fakegate/send?token=nope&to=1&text=x", None).await,
            (StatusCode::OK, "ERR 1".into())
        );

        // The message and the journal name the provider, the endpoint and the account.
        let messages = json(&app, "/__admin/messages?provider=fakegate").await;
        assert_eq!(messages["count"], 1);
        assert_eq!(messages["messages"][0]["account"], "t1");
        assert_eq!(messages["messages"][0]["destination"], "123456");
        let requests = json(&app, "/__admin/requests?provider=fakegate&order=oldest").await;
        assert_eq!(requests["requests"][0]["provider"], "fakegate");
        assert_eq!(requests["requests"][0]["endpoint"], "send");
        assert_eq!(requests["requests"][0]["account"], "t1");

        // Faults take its scopes and its error codes, and refuse codes it does not have.
        let (status, _) = call(&app, Method::POST, "/__admin/faults", Some(json!({"spec": "fakegate.send=error:1*1"}))).await;
        assert_eq!(status, StatusCode::CREATED);
        assert_eq!(call(&app, Method::GET, send, None).await.1, "ERR 1");
        assert_eq!(call(&app, Method::GET, send, None).await.1, "OK 2");
        let (status, body) = call(&app, Method::POST, "/__admin/faults", Some(json!({"spec": "fakegate=error:7"}))).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert!(body.contains("not a fakegate code"), "{body}");

        // Accounts: listed, created, patched, refused twice, deleted; the balance was charged.
        let accounts = json(&app, "/__admin/accounts").await;
        assert_eq!(accounts["fakegate"], json!([{"token": "t1", "balance": 3}]));
        let (status, _) = call(&app, Method::POST, "/__admin/accounts/fakegate", Some(json!({"token": "t2", "balance": 1}))).await;
        assert_eq!(status, StatusCode::CREATED);
        let (status, _) = call(&app, Method::POST, "/__admin/accounts/fakegate", Some(json!({"token": "t2", "balance": 1}))).await;
        assert_eq!(status, StatusCode::CONFLICT);
        let (status, body) = call(&app, Method::PATCH, "/__admin/accounts/fakegate/t2", Some(json!({"balance": 9}))).await;
        assert_eq!((status, body), (StatusCode::OK, r#"{"token":"t2","balance":9}"#.into()));
        let (status, _) = call(&app, Method::DELETE, "/__admin/accounts/fakegate/t2", None).await;
        assert_eq!(status, StatusCode::OK);

        // The listing the inbox builds its pages from.
        let providers = json(&app, "/__admin/providers").await;
        let fake = providers["providers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "fakegate")
            .cloned()
            .unwrap();
        assert_eq!(fake["endpoints"], json!(["send"]));
        assert_eq!(fake["account_id"], "token");
        assert_eq!(fake["credentials"], json!(["token"]));

        // Its quirks are configuration like every other provider's.
        assert!(crate::config::Quirks::names().contains(&"fakegate.content_type".to_owned()));
        let clock = json(&app, "/__admin/clock").await;
        assert!(clock["utc"].is_string(), "{clock}");
    }
}
