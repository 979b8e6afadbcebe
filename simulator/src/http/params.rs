//! Request parameters decoded once, the way PHP and ASP.NET decode them: `+` is a space, `%XX` is
//! a byte, a malformed `%` sequence stays literal, invalid UTF-8 becomes U+FFFD. Never fails.

use crate::config::{DuplicateParams, NameMatching};

/// Parameters from one place (query string or body), in the order they came.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParamList {
    /// `name=value` items.
    pub pairs: Vec<(String, String)>,
    /// Items without `=`: PHP reads them as a name with an empty value, ASP.NET as a value
    /// without a name.
    pub bare: Vec<String>,
}

impl ParamList {
    /// Decodes `a=1&b=2` form syntax. Empty items (`&&`) are skipped.
    pub fn from_urlencoded(raw: &[u8]) -> ParamList {
        let mut list = ParamList::default();
        for item in raw.split(|&b| b == b'&').filter(|item| !item.is_empty()) {
            match item.iter().position(|&b| b == b'=') {
                Some(eq) => list
                    .pairs
                    .push((decode(&item[..eq]), decode(&item[eq + 1..]))),
                None => list.bare.push(decode(item)),
            }
        }
        list
    }
}

/// Percent-decodes one form component: `+` to space, `%XX` to its byte, anything malformed kept
/// as written; the bytes are then read as UTF-8 with invalid sequences replaced.
pub fn decode(raw: &[u8]) -> String {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < raw.len() => match (hex(raw[i + 1]), hex(raw[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    match String::from_utf8(out) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    }
}

/// Percent-encodes a query component: everything but RFC 3986 unreserved characters.
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// The merged parameters of one request: the body wins over the query string.
#[derive(Debug, Clone)]
pub struct Params {
    query: ParamList,
    body: ParamList,
    names: NameMatching,
    duplicates: DuplicateParams,
    bare_is_empty_value: bool,
}

impl Params {
    /// Merges query and body parameters under one provider's rules. `bare_is_empty_value` is
    /// PHP's reading of an item without `=`; false is ASP.NET's.
    pub fn new(
        query: ParamList,
        body: ParamList,
        names: NameMatching,
        duplicates: DuplicateParams,
        bare_is_empty_value: bool,
    ) -> Params {
        Params {
            query,
            body,
            names,
            duplicates,
            bare_is_empty_value,
        }
    }

    fn name_matches(&self, candidate: &str, name: &str) -> bool {
        match self.names {
            NameMatching::CaseInsensitive => candidate.eq_ignore_ascii_case(name),
            NameMatching::Exact => candidate == name,
        }
    }

    fn values_in<'a>(&'a self, list: &'a ParamList, name: &'a str) -> Vec<&'a str> {
        let mut values: Vec<&str> = list
            .pairs
            .iter()
            .filter(|(n, _)| self.name_matches(n, name))
            .map(|(_, v)| v.as_str())
            .collect();
        if self.bare_is_empty_value && list.bare.iter().any(|n| self.name_matches(n, name)) {
            values.push("");
        }
        values
    }

    /// The value of `name`: `None` when absent, `Some("")` when present but empty.
    pub fn get(&self, name: &str) -> Option<String> {
        let from_body = self.values_in(&self.body, name);
        let values = if from_body.is_empty() {
            self.values_in(&self.query, name)
        } else {
            from_body
        };
        match (values.as_slice(), self.duplicates) {
            ([], _) => None,
            ([first, ..], DuplicateParams::First) => Some((*first).to_owned()),
            ([.., last], DuplicateParams::Last) => Some((*last).to_owned()),
            (all, DuplicateParams::Join) => Some(all.join(",")),
        }
    }

    /// True when `name` appears more than once in the query or in the body.
    pub fn is_repeated(&self, name: &str) -> bool {
        self.values_in(&self.query, name).len() > 1 || self.values_in(&self.body, name).len() > 1
    }

    /// Names given that are not in `known` (named items first, then items without `=`).
    pub fn strays(&self, known: &[&str]) -> Vec<String> {
        [&self.query, &self.body]
            .into_iter()
            .flat_map(|list| {
                let unknown = list
                    .pairs
                    .iter()
                    .map(|(n, _)| n)
                    .filter(|n| !known.iter().any(|k| self.name_matches(n, k)));
                unknown.chain(
                    list.bare
                        .iter()
                        .filter(|n| !known.iter().any(|k| self.name_matches(n, k))),
                )
            })
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> ParamList {
        ParamList::from_urlencoded(s.as_bytes())
    }

    #[test]
    fn decodes_like_php() {
        assert_eq!(decode(b"a+b%20c"), "a b c");
        assert_eq!(decode(b"%E1%83%92"), "გ");
        assert_eq!(decode(b"100%"), "100%");
        assert_eq!(decode(b"%zz%4"), "%zz%4");
        assert_eq!(decode(b"%4"), "%4");
        assert_eq!(decode(b"%41"), "A");
        assert_eq!(decode(b"x%41"), "xA");
        assert_eq!(decode(b"%FF%FEok"), "\u{FFFD}\u{FFFD}ok");
        assert_eq!(decode(&[b'a', 0xC3]), "a\u{FFFD}");
    }

    #[test]
    fn encode_round_trips_through_decode() {
        let text = "a+b c&d=e ✓ გამარჯობა %";
        assert_eq!(encode("a b&"), "a%20b%26");
        assert_eq!(decode(encode(text).as_bytes()), text);
    }

    #[test]
    fn splits_pairs_and_bare_items() {
        let list = parse("a=1&&b=&c&d=x=y");
        assert_eq!(
            list.pairs,
            [
                ("a".into(), "1".into()),
                ("b".into(), "".into()),
                ("d".into(), "x=y".into())
            ]
        );
        assert_eq!(list.bare, ["c"]);
    }

    fn params(query: &str, body: &str, dup: DuplicateParams, php: bool) -> Params {
        Params::new(
            parse(query),
            parse(body),
            NameMatching::CaseInsensitive,
            dup,
            php,
        )
    }

    #[test]
    fn body_wins_and_absent_differs_from_empty() {
        let p = params(
            "key=q&sender=S",
            "key=b&content=",
            DuplicateParams::First,
            false,
        );
        assert_eq!(p.get("KEY").as_deref(), Some("b"));
        assert_eq!(p.get("sender").as_deref(), Some("S"));
        assert_eq!(p.get("content").as_deref(), Some(""));
        assert_eq!(p.get("destination"), None);
    }

    #[test]
    fn duplicates_follow_the_policy() {
        assert_eq!(
            params("a=1&a=2", "", DuplicateParams::First, false)
                .get("a")
                .as_deref(),
            Some("1")
        );
        assert_eq!(
            params("a=1&a=2", "", DuplicateParams::Last, false)
                .get("a")
                .as_deref(),
            Some("2")
        );
        assert_eq!(
            params("a=1&A=2", "", DuplicateParams::Join, false)
                .get("a")
                .as_deref(),
            Some("1,2")
        );
        assert!(params("a=1&a=2", "", DuplicateParams::First, false).is_repeated("a"));
    }

    #[test]
    fn bare_items_are_empty_values_only_for_php() {
        assert_eq!(
            params("key", "", DuplicateParams::Last, true)
                .get("key")
                .as_deref(),
            Some("")
        );
        assert_eq!(
            params("key", "", DuplicateParams::Last, false).get("key"),
            None
        );
    }

    #[test]
    fn strays_lists_unknown_names_and_bare_items() {
        let p = params(
            "key=1&content=Tom&Jerry&x=1",
            "",
            DuplicateParams::First,
            false,
        );
        assert_eq!(p.strays(&["key", "content"]), ["x", "Jerry"]);
    }
}
