//! `GET /__admin/openapi.json`: the OpenAPI 3.1 description of the admin API. The document is
//! written by hand in `openapi.json`; the providers' names, their account and account-patch
//! schemas (derived from the types the admin API reads) and the version are filled in from the
//! code, so a provider added to the list appears without editing it. A test holds the document
//! to the router's table, both ways.

use std::sync::OnceLock;

use axum::body::Bytes;
use axum::response::IntoResponse;
use http::header;
use schemars::generate::SchemaSettings;
use serde_json::{Value, json};

use crate::domain::Provider;
use crate::providers::{Descriptor, with_provider};

/// The document as written, before the names are filled in.
const WRITTEN: &str = include_str!("openapi.json");

/// The document with the providers' names and this build's version.
pub(crate) fn value() -> Value {
    // The file is part of the build and parsed by a test; it cannot fail to parse at run time
    // unless that test failed first.
    let mut document: Value = serde_json::from_str(WRITTEN).unwrap_or_else(|_| json!({}));
    if let Some(version) = document.pointer_mut("/info/version") {
        *version = json!(env!("CARGO_PKG_VERSION"));
    }
    if let Some(names) = document.pointer_mut("/components/schemas/ProviderName/enum") {
        *names = Provider::ALL.iter().map(|p| p.name()).collect();
    }
    if let Some(schemas) = document
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        add_account_schemas(schemas);
    }
    document
}

/// Each provider's account and account patch as JSON Schemas (`SmsofficeAccount`,
/// `SmsofficeAccountPatch`, ... and the types they use), derived from the types the admin API
/// deserialises, so they cannot drift from what it accepts; `Account` becomes one of the
/// accounts, `AccountPatch` any of the patches, and `AccountsByProvider` names each provider's
/// list. Described as read: a field with a default may be left out of a new account (every
/// reply writes them all).
fn add_account_schemas(schemas: &mut serde_json::Map<String, Value>) {
    let mut generator = SchemaSettings::draft2020_12()
        .with(|settings| settings.definitions_path = "/components/schemas".into())
        .for_deserialize()
        .into_generator();
    let (mut accounts, mut patches) = (Vec::new(), Vec::new());
    for &provider in Provider::ALL {
        with_provider!(provider, G => {
            accounts.push(generator.subschema_for::<<G as Descriptor>::Account>());
            patches.push(generator.subschema_for::<<G as Descriptor>::AccountPatch>());
        });
    }
    let mut derived = generator.take_definitions(true);
    derived.values_mut().for_each(unsigned_as_int64);
    schemas.extend(derived);
    if let Some(by_provider) = schemas
        .get_mut("AccountsByProvider")
        .and_then(Value::as_object_mut)
    {
        let lists = Provider::ALL
            .iter()
            .zip(&accounts)
            .map(|(provider, account)| {
                let list = json!({"type": "array", "items": account});
                (provider.name().to_owned(), list)
            });
        by_provider.insert("properties".to_owned(), Value::Object(lists.collect()));
        by_provider.insert("additionalProperties".to_owned(), json!(false));
    }
    for (name, key, choices) in [
        ("Account", "oneOf", accounts),
        ("AccountPatch", "anyOf", patches),
    ] {
        if let Some(schema) = schemas.get_mut(name).and_then(Value::as_object_mut) {
            schema.insert(key.to_owned(), json!(choices));
        }
    }
}

/// Describes the accounts' unsigned numbers (`uint64` to schemars, a format no generator knows)
/// as `int64` from 0 up: what a generated C#, Java or Go client reads into a 64-bit integer, and
/// the most the account types take (`providers::int64`).
fn unsigned_as_int64(schema: &mut Value) {
    match schema {
        Value::Object(object) => {
            if object.get("format") == Some(&json!("uint64")) {
                object.insert("format".to_owned(), json!("int64"));
                object.insert("maximum".to_owned(), json!(i64::MAX));
            }
            object.values_mut().for_each(unsigned_as_int64);
        }
        Value::Array(items) => items.iter_mut().for_each(unsigned_as_int64),
        _ => {}
    }
}

/// Serves the document, serialised once.
pub(super) async fn document() -> impl IntoResponse {
    static SERVED: OnceLock<Bytes> = OnceLock::new();
    let body = SERVED.get_or_init(|| Bytes::from(value().to_string()));
    ([(header::CONTENT_TYPE, "application/json")], body.clone())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

    /// Every (path under `/__admin`, lower-case method) the document describes.
    fn documented() -> BTreeSet<(String, String)> {
        let document = value();
        let paths = document["paths"].as_object().expect("paths");
        let mut found = BTreeSet::new();
        for (path, item) in paths {
            let relative = path
                .strip_prefix("/__admin")
                .unwrap_or_else(|| panic!("{path} is not under /__admin"));
            for method in item.as_object().expect("path item").keys() {
                assert!(METHODS.contains(&method.as_str()), "{path}: {method}");
                found.insert((relative.to_owned(), method.clone()));
            }
        }
        found
    }

    #[test]
    fn the_document_describes_exactly_the_routes_the_router_answers() {
        let routed: BTreeSet<(String, String)> = crate::admin::table()
            .methods
            .iter()
            .map(|(path, method)| ((*path).to_owned(), method.as_str().to_lowercase()))
            .collect();
        let documented = documented();
        let undocumented: Vec<_> = routed.difference(&documented).collect();
        let unrouted: Vec<_> = documented.difference(&routed).collect();
        assert!(
            undocumented.is_empty(),
            "routed, not in openapi.json: {undocumented:?}"
        );
        assert!(
            unrouted.is_empty(),
            "in openapi.json, not routed: {unrouted:?}"
        );
    }

    #[test]
    fn the_document_is_openapi_3_1_with_every_reference_and_path_parameter_resolved() {
        let document = value();
        assert_eq!(document["openapi"], "3.1.0");
        assert_eq!(document["info"]["version"], env!("CARGO_PKG_VERSION"));
        let text = document.to_string();
        for reference in text.split("\"$ref\":\"").skip(1) {
            let pointer = reference.split('"').next().unwrap_or_default();
            let pointer = pointer.strip_prefix('#').expect("a local reference");
            assert!(
                document.pointer(pointer).is_some(),
                "{pointer} is not defined"
            );
        }
        for (path, item) in document["paths"].as_object().expect("paths") {
            let templated: BTreeSet<&str> = path
                .split('{')
                .skip(1)
                .filter_map(|rest| rest.split('}').next())
                .collect();
            for (method, operation) in item.as_object().expect("path item") {
                let declared: BTreeSet<String> = operation["parameters"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|p| resolve(&document, p))
                    .filter(|p| p["in"] == "path")
                    .map(|p| p["name"].as_str().unwrap_or_default().to_owned())
                    .collect();
                let declared: BTreeSet<&str> = declared.iter().map(String::as_str).collect();
                assert_eq!(declared, templated, "{method} {path}: path parameters");
                assert!(operation["operationId"].is_string(), "{method} {path}");
                assert!(
                    operation["responses"]
                        .as_object()
                        .is_some_and(|r| !r.is_empty()),
                    "{method} {path}: no responses"
                );
            }
        }
    }

    #[test]
    fn provider_names_and_page_limits_come_from_the_code() {
        let document = value();
        let names: Vec<&str> = Provider::ALL.iter().map(|p| p.name()).collect();
        assert_eq!(
            document["components"]["schemas"]["ProviderName"]["enum"],
            json!(names)
        );
        assert_eq!(
            document["components"]["parameters"]["limit"]["schema"]["maximum"],
            json!(crate::admin::listings::MAX_LIMIT)
        );
        assert!(
            document["components"]["parameters"]["wait"]["description"]
                .as_str()
                .is_some_and(|d| d.contains("limits.max_wait_seconds"))
        );
    }

    /// Whether `value` conforms to `schema` (references resolved in `document`), for the
    /// keywords the derived account schemas use; a test checks that they use no others.
    fn conforms(document: &Value, schema: &Value, value: &Value) -> bool {
        if let Some(pointer) = schema["$ref"].as_str() {
            let target = document.pointer(pointer.trim_start_matches('#'));
            return target.is_some_and(|target| conforms(document, target, value));
        }
        let types: Vec<&str> = match &schema["type"] {
            Value::String(one) => vec![one.as_str()],
            Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        let type_of = match value {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(n) if n.is_u64() || n.is_i64() => "integer",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        };
        if !types.is_empty() && !types.contains(&type_of) {
            return false;
        }
        if let (Some(minimum), Some(number)) = (schema["minimum"].as_f64(), value.as_f64())
            && number < minimum
        {
            return false;
        }
        // Compared as integers: as floats, i64::MAX and one past it are the same number.
        if let (Some(maximum), Some(number)) = (schema["maximum"].as_u64(), value.as_u64())
            && number > maximum
        {
            return false;
        }
        if let (Some(items), Some(values)) = (schema.get("items"), value.as_array())
            && !values.iter().all(|v| conforms(document, items, v))
        {
            return false;
        }
        if let Some(object) = value.as_object() {
            let properties = schema["properties"].as_object();
            for (name, field) in object {
                match properties.and_then(|p| p.get(name)) {
                    Some(property) if !conforms(document, property, field) => return false,
                    None if schema["additionalProperties"] == json!(false) => return false,
                    _ => {}
                }
            }
            let required = schema["required"].as_array().into_iter().flatten();
            if !required
                .filter_map(Value::as_str)
                .all(|name| object.contains_key(name))
            {
                return false;
            }
        }
        let matching = |key: &str| {
            schema[key].as_array().map(|choices| {
                choices
                    .iter()
                    .filter(|choice| conforms(document, choice, value))
                    .count()
            })
        };
        matching("oneOf").is_none_or(|n| n == 1) && matching("anyOf").is_none_or(|n| n > 0)
    }

    /// Every keyword used anywhere in `schema`.
    fn keywords(schema: &Value, found: &mut BTreeSet<String>) {
        match schema {
            Value::Object(object) => {
                for (key, value) in object {
                    found.insert(key.clone());
                    match key.as_str() {
                        // Maps of names to schemas, and values: not keywords below them.
                        "properties" => value
                            .as_object()
                            .into_iter()
                            .flatten()
                            .for_each(|(_, property)| keywords(property, found)),
                        "default" | "description" | "required" | "type" => {}
                        _ => keywords(value, found),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|item| keywords(item, found)),
            _ => {}
        }
    }

    /// A value of the first type `schema` allows (arrays empty, objects of their required
    /// properties), to build accounts from a schema alone.
    fn sample(document: &Value, schema: &Value, all_properties: bool) -> Value {
        if let Some(pointer) = schema["$ref"].as_str() {
            let target = document.pointer(pointer.trim_start_matches('#'));
            return sample(document, target.unwrap_or(&Value::Null), all_properties);
        }
        let first_type = match &schema["type"] {
            Value::Array(many) => many.first().cloned().unwrap_or_default(),
            one => one.clone(),
        };
        match first_type.as_str() {
            Some("string") => json!("sample"),
            Some("integer") => json!(7),
            Some("boolean") => json!(true),
            Some("array") => json!([]),
            Some("object") => {
                let required: BTreeSet<&str> = schema["required"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect();
                let properties = schema["properties"].as_object().into_iter().flatten();
                Value::Object(
                    properties
                        .filter(|(name, _)| all_properties || required.contains(name.as_str()))
                        .map(|(name, p)| (name.clone(), sample(document, p, all_properties)))
                        .collect(),
                )
            }
            _ => Value::Null,
        }
    }

    #[test]
    fn every_provider_s_account_and_patch_are_described_by_schemas_derived_from_their_types() {
        let document = value();
        let schemas = &document["components"]["schemas"];
        let account = &schemas["Account"];
        let patch = &schemas["AccountPatch"];
        let defaults: Value = serde_json::from_str(crate::config::DEFAULT_CONFIG_JSON).unwrap();
        let written: Value = serde_json::from_str(WRITTEN).unwrap();
        let mut used = BTreeSet::new();
        for (place, &provider) in Provider::ALL.iter().enumerate() {
            let own = &account["oneOf"][place];
            let own_patch = &patch["anyOf"][place];
            let name = own["$ref"].as_str().unwrap().rsplit('/').next().unwrap();
            let patch_name = own_patch["$ref"]
                .as_str()
                .unwrap()
                .rsplit('/')
                .next()
                .unwrap();
            assert!(schemas[name]["properties"].is_object(), "{name}");
            assert!(
                schemas[patch_name]["properties"].is_object(),
                "{patch_name}"
            );
            // Derived names never replace a schema written by hand.
            assert!(
                written["components"]["schemas"].get(name).is_none(),
                "{name}"
            );
            assert!(written["components"]["schemas"].get(patch_name).is_none());
            keywords(&schemas[name], &mut used);
            keywords(&schemas[patch_name], &mut used);

            // What the schema requires is enough for the admin API to take an account, and
            // every property it names is one the API reads.
            let minimal = sample(&document, own, false);
            let full = sample(&document, own, true);
            with_provider!(provider, G => {
                for made in [&minimal, &full] {
                    serde_json::from_value::<<G as Descriptor>::Account>(made.clone())
                        .unwrap_or_else(|e| panic!("{name}: {made} refused: {e}"));
                }
                let patch_sample = sample(&document, own_patch, true);
                serde_json::from_value::<<G as Descriptor>::AccountPatch>(patch_sample.clone())
                    .unwrap_or_else(|e| panic!("{patch_name}: {patch_sample} refused: {e}"));
                // One property left out of what is required: refused by both.
                for required in schemas[name]["required"].as_array().unwrap() {
                    let mut short = minimal.clone();
                    short.as_object_mut().unwrap().remove(required.as_str().unwrap());
                    assert!(!conforms(&document, own, &short), "{name} without {required}");
                    assert!(
                        serde_json::from_value::<<G as Descriptor>::Account>(short).is_err(),
                        "{name} without {required}"
                    );
                }
            });
            assert!(conforms(&document, account, &full), "{name}: {full}");

            // Each whole number is an int64 from 0: the largest is taken, one more is refused,
            // by the schema and by the type alike; `null` exactly where the schema allows it.
            for (schema_name, made) in [
                (name, &full),
                (patch_name, &sample(&document, own_patch, true)),
            ] {
                let schema = &schemas[schema_name];
                for (field, property) in schema["properties"].as_object().unwrap() {
                    if !property.to_string().contains("\"integer\"") {
                        continue;
                    }
                    assert_eq!(property["format"], "int64", "{schema_name}.{field}");
                    let nullable = property["type"]
                        .as_array()
                        .is_some_and(|types| types.contains(&json!("null")));
                    for (number, fits) in [
                        (json!(i64::MAX), true),
                        (json!(i64::MAX as u64 + 1), false),
                        (Value::Null, nullable),
                    ] {
                        let mut changed = made.clone();
                        changed[field] = number.clone();
                        assert_eq!(
                            conforms(&document, schema, &changed),
                            fits,
                            "{schema_name}.{field} = {number}"
                        );
                        let read = with_provider!(provider, G => if schema_name == name {
                            serde_json::from_value::<<G as Descriptor>::Account>(changed).map(drop)
                        } else {
                            serde_json::from_value::<<G as Descriptor>::AccountPatch>(changed).map(drop)
                        });
                        assert_eq!(
                            read.is_ok(),
                            fits,
                            "{schema_name}.{field} = {number}: {read:?}"
                        );
                    }
                }
            }

            // The accounts of the embedded defaults, as the admin API lists them, conform to
            // their provider's schema and to no other's.
            let configured = defaults[provider.name()]["accounts"].as_array();
            for configured in configured.into_iter().flatten() {
                assert!(conforms(&document, account, configured), "{configured}");
                assert!(conforms(&document, own, configured), "{configured}");
            }
        }
        assert!(
            used.iter().all(|k| [
                "$ref",
                "additionalProperties",
                "anyOf",
                "default",
                "description",
                "format",
                "items",
                "maximum",
                "minimum",
                "oneOf",
                "properties",
                "required",
                "type",
            ]
            .contains(&k.as_str())),
            "a keyword `conforms` does not check: {used:?}"
        );

        // `GET /__admin/accounts` of the embedded defaults: each provider's list under its name.
        let by_provider = &schemas["AccountsByProvider"];
        let mut listing = serde_json::Map::new();
        for provider in Provider::ALL {
            if let Some(accounts) = defaults.get(provider.name()).map(|s| &s["accounts"]) {
                listing.insert(provider.name().to_owned(), accounts.clone());
            }
        }
        assert!(conforms(&document, by_provider, &Value::Object(listing)));
        let smsco_under_smsoffice = json!({"smsoffice": defaults["smsco"]["accounts"]});
        assert!(!conforms(&document, by_provider, &smsco_under_smsoffice));

        // An unknown field is refused, as the admin API refuses it.
        let mut stray = defaults["smsoffice"]["accounts"][0].clone();
        stray["colour"] = json!("red");
        assert!(!conforms(&document, account, &stray));
        assert!(conforms(&document, patch, &json!({"balance": 5})));
        assert!(conforms(&document, patch, &json!({"callback_url": null})));
        assert!(!conforms(&document, patch, &json!({"balance": "five"})));
        assert!(!conforms(&document, patch, &json!({"colour": "red"})));
    }

    /// Every schema under `value` that allows an integer, with where it is.
    fn integers<'a>(value: &'a Value, at: String, found: &mut Vec<(String, &'a Value)>) {
        match value {
            Value::Object(object) => {
                let integer = json!("integer");
                let allows = |types: &Value| match types {
                    Value::Array(many) => many.contains(&integer),
                    one => *one == integer,
                };
                if object.get("type").is_some_and(allows) {
                    found.push((at.clone(), value));
                }
                for (key, inner) in object {
                    integers(inner, format!("{at}/{key}"), found);
                }
            }
            Value::Array(items) => {
                for (i, inner) in items.iter().enumerate() {
                    integers(inner, format!("{at}/{i}"), found);
                }
            }
            _ => {}
        }
    }

    #[test]
    fn every_integer_has_a_width_a_client_generator_reads() {
        // Without a format, generators for C#, Java and Kotlin read an integer as 32 bits, and
        // `unix_ms` (about 1.8e12) would not fit.
        let document = value();
        let mut found = Vec::new();
        integers(&document, String::new(), &mut found);
        assert!(found.len() > 30, "{} integers", found.len());
        for (at, schema) in &found {
            match schema["format"].as_str() {
                Some("int64") => {}
                Some("int32") => assert!(
                    schema["maximum"]
                        .as_i64()
                        .is_none_or(|max| max <= i64::from(i32::MAX)),
                    "{at}"
                ),
                other => panic!("{at}: integer of format {other:?}"),
            }
        }
        let clock = &document["components"]["schemas"]["Clock"]["properties"];
        assert_eq!(clock["unix_ms"]["format"], "int64");
        assert_eq!(clock["unix"]["format"], "int64");
    }

    fn resolve(document: &Value, item: &Value) -> Value {
        match item["$ref"].as_str() {
            Some(pointer) => document
                .pointer(pointer.trim_start_matches('#'))
                .cloned()
                .unwrap_or(Value::Null),
            None => item.clone(),
        }
    }
}
