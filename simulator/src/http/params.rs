//! Request parameters decoded once, the way PHP and ASP.NET decode them: `+` is a space, `%XX` is
//! a byte, a malformed `%` sequence stays literal, invalid UTF-8 becomes U+FFFD. Never fails.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

/// How parameter names are compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NameMatching {
    /// `KEY` and `key` are the same parameter (ASP.NET).
    CaseInsensitive,
    /// Names must match exactly.
    Exact,
}

/// Which value a parameter given twice in one place takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DuplicateParams {
    /// The first occurrence (ASP.NET MVC / Web API model binding).
    First,
    /// The last occurrence (PHP).
    Last,
    /// All values joined with commas (ASP.NET `Request[...]`).
    Join,
}

/// Items one place (query string or body) yields at most: PHP's `max_input_vars` and ASP.NET's
/// `MaxHttpCollectionKeys`, both 1,000 by default. Items past it are counted, not read, so
/// a body of millions of parameters costs no more memory than its first thousand.
pub const MAX_INPUT_VARS: usize = 1000;

/// Parameters from one place (query string or body), in the order they came, the first
/// [`MAX_INPUT_VARS`] of them. Every decoded name and value lives in one buffer, so reading a
/// request's parameters costs a couple of allocations however many there are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParamList {
    text: String,
    /// `name=value` items: the name is `text[start..split]`, the value `text[split..end]`.
    pairs: Vec<(usize, usize, usize)>,
    /// Items without `=`: PHP reads them as a name with an empty value, ASP.NET as a value
    /// without a name.
    bare: Vec<(usize, usize)>,
    /// Items past [`MAX_INPUT_VARS`], not read.
    ignored: usize,
}

impl ParamList {
    /// Decodes `a=1&b=2` form syntax. Empty items (`&&`) are skipped.
    pub fn from_urlencoded(raw: &[u8]) -> ParamList {
        let mut list = ParamList {
            // Enough for any usual request at once; a huge body's items past the limit are
            // never decoded, so its size does not decide this.
            text: String::with_capacity(raw.len().min(1 << 16)),
            ..ParamList::default()
        };
        let mut scratch = Vec::new();
        // Text that needs no decoding (valid UTF-8 without `%` or `+`, as most requests are) is
        // checked once whole: each name and value is then a slice of it, copied as it is.
        let plain = (!raw.iter().any(|&b| b == b'%' || b == b'+'))
            .then(|| std::str::from_utf8(raw).ok())
            .flatten();
        let mut decode = |part: &[u8], out: &mut String| match plain {
            Some(text) => {
                let start = part.as_ptr() as usize - raw.as_ptr() as usize;
                out.push_str(&text[start..start + part.len()]);
            }
            None => decode_into(part, out, &mut scratch),
        };
        let mut items = raw.split(|&b| b == b'&').filter(|item| !item.is_empty());
        for item in items.by_ref().take(MAX_INPUT_VARS) {
            let start = list.text.len();
            match item.iter().position(|&b| b == b'=') {
                Some(eq) => {
                    decode(&item[..eq], &mut list.text);
                    let split = list.text.len();
                    decode(&item[eq + 1..], &mut list.text);
                    list.pairs.push((start, split, list.text.len()));
                }
                None => {
                    decode(item, &mut list.text);
                    list.bare.push((start, list.text.len()));
                }
            }
        }
        list.ignored = items.count();
        list
    }

    /// Appends a `name=value` item; past [`MAX_INPUT_VARS`] items it is only counted.
    pub fn push(&mut self, name: &str, value: &str) {
        if self.pairs.len() + self.bare.len() >= MAX_INPUT_VARS {
            self.ignored += 1;
            return;
        }
        let start = self.text.len();
        self.text.push_str(name);
        let split = self.text.len();
        self.text.push_str(value);
        self.pairs.push((start, split, self.text.len()));
    }

    /// The `name=value` items, in order.
    #[cfg(any(test, feature = "record"))]
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.pairs
            .iter()
            .map(|&(start, split, end)| (&self.text[start..split], &self.text[split..end]))
    }

    /// The values of the `name=value` items whose name (as bytes) `named` accepts, in order.
    /// Names are compared as bytes: only a matching item's value is sliced as text.
    fn values_named<F>(&self, named: F) -> impl Iterator<Item = &str>
    where
        F: Fn(&[u8]) -> bool,
    {
        let bytes = self.text.as_bytes();
        self.pairs
            .iter()
            .filter(move |&&(start, split, _)| named(&bytes[start..split]))
            .map(|&(_, split, end)| &self.text[split..end])
    }

    /// The items without `=`, in order.
    pub fn bare(&self) -> impl Iterator<Item = &str> {
        self.bare.iter().map(|&(start, end)| &self.text[start..end])
    }

    /// True when there are no items at all.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty() && self.bare.is_empty() && self.ignored == 0
    }
}

/// [`decode`], appending to `out`; `scratch` holds the bytes between percent-decoding and UTF-8
/// checking.
fn decode_into(raw: &[u8], out: &mut String, scratch: &mut Vec<u8>) {
    if !raw.iter().any(|&b| b == b'%' || b == b'+') {
        push_lossy(raw, out);
        return;
    }
    scratch.clear();
    scratch.reserve(raw.len());
    // `+` is a space only where written literally (`%2B` is a plus), so it is replaced piece by
    // piece around the percent-decoding.
    for (i, piece) in raw.split(|&b| b == b'+').enumerate() {
        if i > 0 {
            scratch.push(b' ');
        }
        scratch.extend(percent_encoding::percent_decode(piece));
    }
    push_lossy(scratch, out);
}

/// Appends `bytes` read as UTF-8, invalid sequences replaced: valid text (nearly always) is
/// checked by the plain validator, quicker on short items than the replacing one.
fn push_lossy(bytes: &[u8], out: &mut String) {
    match std::str::from_utf8(bytes) {
        Ok(text) => out.push_str(text),
        Err(_) => out.push_str(&String::from_utf8_lossy(bytes)),
    }
}

/// Percent-decodes one form component: `+` to space, `%XX` to its byte, anything malformed kept
/// as written; the bytes are then read as UTF-8 with invalid sequences replaced.
#[cfg(test)]
pub fn decode(raw: &[u8]) -> String {
    let mut out = String::with_capacity(raw.len());
    decode_into(raw, &mut out, &mut Vec::new());
    out
}

/// True when decoded text still holds a percent-escape (`%2B`, `%20`...): the client most likely
/// encoded it twice, and the real service shows the escape as typed.
pub fn looks_encoded_twice(text: &str) -> bool {
    text.as_bytes()
        .windows(3)
        .any(|w| w[0] == b'%' && w[1].is_ascii_hexdigit() && w[2].is_ascii_hexdigit())
}

/// Everything but RFC 3986 unreserved characters (`A-Z a-z 0-9 - _ . ~`).
const NOT_UNRESERVED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Percent-encodes a query component: everything but RFC 3986 unreserved characters.
pub fn encode(value: &str) -> String {
    percent_encoding::utf8_percent_encode(value, NOT_UNRESERVED).to_string()
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
        self.bytes_match(candidate.as_bytes(), name)
    }

    /// [`Params::name_matches`] on a name's bytes, as the lists hold them.
    fn bytes_match(&self, candidate: &[u8], name: &str) -> bool {
        match self.names {
            NameMatching::CaseInsensitive => candidate.eq_ignore_ascii_case(name.as_bytes()),
            NameMatching::Exact => candidate == name.as_bytes(),
        }
    }

    /// The values `name` has in `list`, in order (a bare item counts as an empty value under
    /// PHP's reading).
    fn values_in<'a, 'n>(
        &'a self,
        list: &'a ParamList,
        name: &'n str,
    ) -> impl Iterator<Item = &'a str> + use<'a, 'n> {
        let named = list.values_named(move |candidate| self.bytes_match(candidate, name));
        let bare = self.bare_is_empty_value && list.bare().any(|n| self.name_matches(n, name));
        named.chain(bare.then_some(""))
    }

    /// The value of `name`: `None` when absent, `Some("")` when present but empty.
    pub fn get(&self, name: &str) -> Option<String> {
        self.value(name).map(Cow::into_owned)
    }

    /// [`Params::get`] without copying, unless duplicates are joined.
    pub fn value(&self, name: &str) -> Option<Cow<'_, str>> {
        let in_body = !self.body.pairs.is_empty() || !self.body.bare.is_empty();
        let list = if in_body && self.first_in(&self.body, name).is_some() {
            &self.body
        } else {
            &self.query
        };
        match self.duplicates {
            DuplicateParams::First => self.first_in(list, name).map(Cow::Borrowed),
            DuplicateParams::Last => self.values_in(list, name).last().map(Cow::Borrowed),
            DuplicateParams::Join => {
                let all: Vec<&str> = self.values_in(list, name).collect();
                (!all.is_empty()).then(|| Cow::Owned(all.join(",")))
            }
        }
    }

    /// The first value `name` has in `list` ([`Params::values_in`]'s first), found by a plain
    /// loop: every endpoint reads its parameters this way, several per request.
    fn first_in<'a>(&self, list: &'a ParamList, name: &str) -> Option<&'a str> {
        let bytes = list.text.as_bytes();
        let matches = |candidate: &[u8]| self.bytes_match(candidate, name);
        for &(start, split, end) in &list.pairs {
            if matches(&bytes[start..split]) {
                return Some(&list.text[split..end]);
            }
        }
        (self.bare_is_empty_value && list.bare.iter().any(|&(s, e)| matches(&bytes[s..e])))
            .then_some("")
    }

    /// The names of `known` that appear more than once in the query or in the body, in the order
    /// of `known`.
    #[cfg(test)]
    pub fn repeated<'k>(&self, known: &[&'k str]) -> Vec<&'k str> {
        self.unusual(known).0
    }

    /// The names of `known` given more than once in the query or in the body (in the order of
    /// `known`), and the names given that are not in `known` ([`Params::strays`]): one pass over
    /// each list, each name compared with `known` once, for the endpoints that check both.
    pub fn unusual<'k>(&self, known: &[&'k str]) -> (Vec<&'k str>, Strays) {
        // Bit i stands for known[i]: endpoints know far fewer than 64 names.
        debug_assert!(known.len() <= 64);
        let mut repeated = 0u64;
        let mut strays = Strays::default();
        for list in [&self.query, &self.body] {
            let (mut once, mut twice) = (0u64, 0u64);
            let mut note = |bit: u64| {
                twice |= once & bit;
                once |= bit;
            };
            let bytes = list.text.as_bytes();
            let position = |name: &[u8]| known.iter().position(|k| self.bytes_match(name, k));
            for &(start, split, _) in &list.pairs {
                match position(&bytes[start..split]) {
                    Some(i) => note(1u64 << (i % 64)),
                    None => strays.note(&list.text[start..split]),
                }
            }
            // A name given bare counts once however often (PHP reads it as an empty value).
            let mut bare = 0u64;
            for &(start, end) in &list.bare {
                match position(&bytes[start..end]) {
                    Some(i) => bare |= 1u64 << (i % 64),
                    None => strays.note(&list.text[start..end]),
                }
            }
            if self.bare_is_empty_value {
                for i in 0..known.len() {
                    let bit = 1u64 << (i % 64);
                    if bare & bit != 0 {
                        note(bit);
                    }
                }
            }
            repeated |= twice;
        }
        let repeated = known
            .iter()
            .enumerate()
            .filter_map(|(i, k)| (repeated & (1u64 << (i % 64)) != 0).then_some(*k))
            .collect();
        (repeated, strays)
    }

    /// The lint for items past [`MAX_INPUT_VARS`] in the query or the body, if any.
    pub fn ignored_lint(&self) -> Option<String> {
        let ignored = self.query.ignored + self.body.ignored;
        (ignored > 0).then(|| {
            format!(
                "{ignored} parameters past the first {MAX_INPUT_VARS} ignored, as PHP's \
                 max_input_vars drops them (ASP.NET refuses such a request)"
            )
        })
    }

    /// Names given that are not in `known` (for each of the query and the body, named items
    /// first, then items without `=`): the first few, shortened, and how many in all, so a lint
    /// stays small whatever was sent.
    pub fn strays(&self, known: &[&str]) -> Strays {
        self.unusual(known).1
    }
}

/// Unrecognised parameter names as a lint shows them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Strays {
    /// The first names, each shortened.
    pub shown: Vec<String>,
    /// How many there were in all.
    pub total: usize,
}

impl Strays {
    /// Names a lint lists at most.
    const SHOWN: usize = 10;
    /// Characters of one name a lint shows at most.
    const NAME_CHARS: usize = 40;

    /// True when every name was known.
    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// Counts one unknown name, kept (shortened) among the first few.
    fn note(&mut self, name: &str) {
        if self.shown.len() < Strays::SHOWN {
            self.shown.push(shorten(name, Strays::NAME_CHARS));
        }
        self.total += 1;
    }
}

impl std::fmt::Display for Strays {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.shown)?;
        if self.total > self.shown.len() {
            write!(f, " and {} more", self.total - self.shown.len())?;
        }
        Ok(())
    }
}

/// `text` cut to at most `max` characters, an ellipsis marking the cut.
pub fn shorten(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
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
    fn text_sent_unencoded_is_read_as_it_is_and_invalid_bytes_replaced() {
        let list = ParamList::from_urlencoded("content=გამარჯობა=&key=k&ნ".as_bytes());
        assert_eq!(
            list.pairs().collect::<Vec<_>>(),
            [("content", "გამარჯობა="), ("key", "k")]
        );
        assert_eq!(list.bare().collect::<Vec<_>>(), ["ნ"]);
        let invalid = ParamList::from_urlencoded(b"a=\xC3&b=ok\xFF");
        assert_eq!(
            invalid.pairs().collect::<Vec<_>>(),
            [("a", "\u{FFFD}"), ("b", "ok\u{FFFD}")]
        );
    }

    #[test]
    fn splits_pairs_and_bare_items() {
        let list = parse("a=1&&b=&c&d=x%3Dy&e+f=g%20h");
        assert_eq!(
            list.pairs().collect::<Vec<_>>(),
            [("a", "1"), ("b", ""), ("d", "x=y"), ("e f", "g h")]
        );
        assert_eq!(list.bare().collect::<Vec<_>>(), ["c"]);
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
    fn the_first_value_is_the_first_of_all_values_in_the_winning_place() {
        let cases = [
            ("a=1&A=2&b", ""),
            ("b&a=3", "x=1"),
            ("a=1", "A=9&a=8"),
            ("", "b"),
            ("c=1", ""),
        ];
        for (query, body) in cases {
            for php in [false, true] {
                let p = params(query, body, DuplicateParams::First, php);
                for name in ["a", "b", "c", "x"] {
                    let place = if p.values_in(&p.body, name).next().is_some() {
                        &p.body
                    } else {
                        &p.query
                    };
                    let expected = p.values_in(place, name).next();
                    assert_eq!(
                        p.value(name).as_deref(),
                        expected,
                        "{name} in {query:?} | {body:?}, php {php}"
                    );
                }
            }
        }
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
        assert_eq!(
            params("a=1&a=2", "", DuplicateParams::First, false).repeated(&["a"]),
            ["a"]
        );
    }

    #[test]
    fn repeated_names_are_counted_per_list() {
        let known = ["a", "b", "c", "d"];
        let cases: [(&str, &str, bool, &[&str]); 5] = [
            // Names match case-insensitively here.
            ("a=1&A=2&b=1", "c=1", false, &["a"]),
            // A bare item is one more value only under PHP's reading.
            ("a=1&b=1", "b=2&b=3&c", true, &["b"]),
            ("c&c=1", "", true, &["c"]),
            ("c&c=1", "", false, &[]),
            // Once in the query and once in the body is not a repeat: the body wins.
            ("d=1", "d=2", false, &[]),
        ];
        for (query, body, php, expected) in cases {
            let p = params(query, body, DuplicateParams::First, php);
            assert_eq!(p.repeated(&known), expected, "{query} | {body}");
        }
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
    fn items_past_the_input_limit_are_counted_not_read() {
        let raw: String = (0..MAX_INPUT_VARS + 5)
            .map(|i| format!("n{i}=v&"))
            .collect();
        let list = ParamList::from_urlencoded(raw.as_bytes());
        assert_eq!(list.pairs().count(), MAX_INPUT_VARS);
        assert_eq!(list.pairs().last(), Some(("n999", "v")));
        assert_eq!(list.ignored, 5);
        let mut pushed = ParamList::default();
        for i in 0..MAX_INPUT_VARS + 2 {
            pushed.push(&format!("p{i}"), "x");
        }
        assert_eq!(
            (pushed.pairs().count(), pushed.ignored),
            (MAX_INPUT_VARS, 2)
        );
        let params = Params::new(
            ParamList::from_urlencoded(b"a=1"),
            list,
            NameMatching::Exact,
            DuplicateParams::Last,
            true,
        );
        let lint = params.ignored_lint().unwrap();
        assert!(
            lint.starts_with("5 parameters past the first 1000 ignored"),
            "{lint}"
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
        assert_eq!(p.strays(&["key", "content"]).shown, ["x", "Jerry"]);
        assert_eq!(
            p.strays(&["key", "content"]).to_string(),
            r#"["x", "Jerry"]"#
        );
    }
}
