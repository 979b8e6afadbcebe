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

impl NameMatching {
    /// Whether a name as given (its bytes, as the lists hold them) is `name`.
    fn matches(self, candidate: &[u8], name: &str) -> bool {
        // Clients nearly always send a name as documented: compared whole before letter by
        // letter, ignoring case.
        candidate == name.as_bytes()
            || (self == NameMatching::CaseInsensitive
                && candidate.eq_ignore_ascii_case(name.as_bytes()))
    }
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
    /// `name=value` items, each held as such in `text`: the name is `text[start..split]`, the
    /// value `text[split + 1..end]`.
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
        ParamList::plain(raw, None).unwrap_or_else(|| ParamList::decoded(raw))
    }

    /// [`ParamList::from_urlencoded`] of text already known to be UTF-8 (a query string), which
    /// is then not checked again.
    pub fn from_urlencoded_text(text: &str) -> ParamList {
        let raw = text.as_bytes();
        ParamList::plain(raw, Some(text)).unwrap_or_else(|| ParamList::decoded(raw))
    }

    /// Text that needs no decoding (UTF-8 without `%` or `+`, as most requests are): the items
    /// are found with `memchr` and the text they span is copied once, each name and value an
    /// offset into it. `None` when something must be decoded. `text` is `raw` when the caller
    /// knows it to be UTF-8.
    fn plain(raw: &[u8], text: Option<&str>) -> Option<ParamList> {
        if memchr::memchr2(b'%', b'+', raw).is_some() {
            return None;
        }
        let mut list = ParamList::default();
        let mut start = 0;
        let mut read_to = 0;
        let mut items = 0;
        while start <= raw.len() && items < MAX_INPUT_VARS {
            let end = memchr::memchr(b'&', &raw[start..]).map_or(raw.len(), |at| start + at);
            if end > start {
                match memchr::memchr(b'=', &raw[start..end]) {
                    Some(at) => list.pairs.push((start, start + at, end)),
                    None => list.bare.push((start, end)),
                }
                items += 1;
                read_to = end;
            }
            start = end + 1;
        }
        // Only the text of the items read is kept, so a huge body costs no more than its first
        // thousand items; it must be valid UTF-8, or the decoding path replaces what is not.
        // `read_to` is at a `&` or the end: a character boundary.
        list.text = match text {
            Some(text) => text[..read_to].to_owned(),
            None => std::str::from_utf8(&raw[..read_to]).ok()?.to_owned(),
        };
        if start < raw.len() {
            list.ignored = raw[start..]
                .split(|&b| b == b'&')
                .filter(|item| !item.is_empty())
                .count();
        }
        Some(list)
    }

    /// [`ParamList::from_urlencoded`] of text with escapes, `+` or invalid UTF-8 in it.
    fn decoded(raw: &[u8]) -> ParamList {
        let mut list = ParamList {
            // Enough for any usual request at once; a huge body's items past the limit are
            // never decoded, so its size does not decide this.
            text: String::with_capacity(raw.len().min(1 << 16)),
            ..ParamList::default()
        };
        let mut scratch = Vec::new();
        let mut decode = |part: &[u8], out: &mut String| decode_into(part, out, &mut scratch);
        let mut items = raw.split(|&b| b == b'&').filter(|item| !item.is_empty());
        for item in items.by_ref().take(MAX_INPUT_VARS) {
            let start = list.text.len();
            match item.iter().position(|&b| b == b'=') {
                Some(eq) => {
                    decode(&item[..eq], &mut list.text);
                    let split = list.text.len();
                    list.text.push('=');
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
        self.text.push('=');
        self.text.push_str(value);
        self.pairs.push((start, split, self.text.len()));
    }

    /// The `name=value` items, in order.
    #[cfg(any(test, feature = "record"))]
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.pairs
            .iter()
            .map(|&(start, split, end)| (&self.text[start..split], &self.text[split + 1..end]))
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
            .map(|&(_, split, end)| &self.text[split + 1..end])
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
///
/// The names the endpoint reads are matched against the request's in one pass when it is built
/// (noting repeated and unknown names on the way), so each read of a known name is a look-up in
/// a small table, not a scan of every item under the provider's name rule.
#[derive(Debug, Clone)]
pub struct Params {
    query: ParamList,
    body: ParamList,
    names: NameMatching,
    duplicates: DuplicateParams,
    bare_is_empty_value: bool,
    /// The names the endpoint reads.
    known: &'static [&'static str],
    /// Where each known name was found: `known.len()` slots for the query, then as many for the
    /// body.
    found: Vec<Found>,
    /// Bit i: `known[i]` given more than once in the query or in the body.
    repeated: u64,
    /// Names given that are not known.
    strays: Strays,
}

/// Where one known name was found in one list.
#[derive(Debug, Clone, Copy, Default)]
struct Found {
    /// The first `name=value` item's value, as `text[start..end]` (when `named` > 0).
    first: (usize, usize),
    /// The last one's.
    last: (usize, usize),
    /// How many `name=value` items it had.
    named: u32,
    /// Whether it was also given bare.
    bare: bool,
}

impl Params {
    /// Merges query and body parameters under one provider's rules. `bare_is_empty_value` is
    /// PHP's reading of an item without `=`; false is ASP.NET's. `known` are the names the
    /// endpoint reads (at most 64); any other name is a stray.
    pub fn new(
        query: ParamList,
        body: ParamList,
        names: NameMatching,
        duplicates: DuplicateParams,
        bare_is_empty_value: bool,
        known: &'static [&'static str],
    ) -> Params {
        // Bit i stands for known[i].
        debug_assert!(known.len() <= 64);
        let mut params = Params {
            query,
            body,
            names,
            duplicates,
            bare_is_empty_value,
            known,
            found: vec![Found::default(); known.len() * 2],
            repeated: 0,
            strays: Strays::default(),
        };
        params.find_known();
        params
    }

    /// Fills `found`, `repeated` and `strays`: each item's name compared with the known ones
    /// once. Strays are listed for the query then the body, named items before bare ones.
    fn find_known(&mut self) {
        let known = self.known;
        let mut repeated = 0u64;
        for (place, list) in [&self.query, &self.body].into_iter().enumerate() {
            let found = &mut self.found[place * known.len()..(place + 1) * known.len()];
            let bytes = list.text.as_bytes();
            let names = self.names;
            let position = |name: &[u8]| known.iter().position(|k| names.matches(name, k));
            for &(start, split, end) in &list.pairs {
                match position(&bytes[start..split]) {
                    Some(i) => {
                        let slot = &mut found[i];
                        if slot.named == 0 {
                            slot.first = (split + 1, end);
                        } else {
                            repeated |= 1u64 << (i % 64);
                        }
                        slot.last = (split + 1, end);
                        slot.named += 1;
                    }
                    None => self.strays.note(&list.text[start..split]),
                }
            }
            for &(start, end) in &list.bare {
                match position(&bytes[start..end]) {
                    Some(i) => {
                        // A name given bare counts once however often, as one more value beside
                        // named ones under PHP's reading (an empty value).
                        if self.bare_is_empty_value && found[i].named > 0 {
                            repeated |= 1u64 << (i % 64);
                        }
                        found[i].bare = true;
                    }
                    None => self.strays.note(&list.text[start..end]),
                }
            }
        }
        self.repeated = repeated;
    }

    /// The value of `name`: `None` when absent, `Some("")` when present but empty.
    pub fn get(&self, name: &str) -> Option<String> {
        self.value(name).map(Cow::into_owned)
    }

    /// [`Params::get`] without copying, unless duplicates are joined.
    pub fn value(&self, name: &str) -> Option<Cow<'_, str>> {
        // Endpoints read the very literals they declared, which the compiler usually stores once:
        // found by address (measured: about 40 instructions a read) before by text.
        let index = self.known.iter().position(|k| std::ptr::eq(*k, name));
        match index.or_else(|| self.known.iter().position(|k| *k == name)) {
            Some(place) => self.known_value(place),
            None => self.value_by_scan(name),
        }
    }

    /// [`Params::value`] of the known name at `place` (see [`place_of`]): the hot endpoints read
    /// by place, without looking the name up.
    pub fn known_value(&self, place: usize) -> Option<Cow<'_, str>> {
        let in_body = &self.found[self.known.len() + place];
        let (list, found) = if self.present(in_body) {
            (&self.body, in_body)
        } else {
            (&self.query, &self.found[place])
        };
        // Given once (nearly every read): that value, whatever the policy for repeats.
        if found.named == 1 && !found.bare {
            return Some(Cow::Borrowed(&list.text[found.first.0..found.first.1]));
        }
        if !self.present(found) {
            return None;
        }
        self.chosen(place, list, found)
    }

    /// The value the duplicates policy chooses for the known name at `place`, found in `list`
    /// more than once or bare.
    fn chosen<'a>(
        &'a self,
        place: usize,
        list: &'a ParamList,
        found: &Found,
    ) -> Option<Cow<'a, str>> {
        let bare = self.bare_is_empty_value && found.bare;
        // Only a bare item (an empty value) when no `name=value` item was given.
        let slice = |(start, end): (usize, usize)| match found.named {
            0 => "",
            _ => &list.text[start..end],
        };
        Some(match self.duplicates {
            DuplicateParams::First => Cow::Borrowed(slice(found.first)),
            // The bare item's empty value comes after the named ones.
            DuplicateParams::Last if bare => Cow::Borrowed(""),
            DuplicateParams::Last => Cow::Borrowed(slice(found.last)),
            DuplicateParams::Join if found.named + u32::from(bare) > 1 => {
                Cow::Owned(self.joined(list, self.known[place]))
            }
            DuplicateParams::Join => Cow::Borrowed(slice(found.first)),
        })
    }

    /// Whether a known name was given in a list, as its value (bare items only under PHP's
    /// reading).
    fn present(&self, found: &Found) -> bool {
        found.named > 0 || (self.bare_is_empty_value && found.bare)
    }

    /// Every value of `name` in `list`, joined with commas (ASP.NET's `Request[...]`).
    #[cold]
    #[inline(never)]
    fn joined(&self, list: &ParamList, name: &str) -> String {
        self.values_in(list, name).collect::<Vec<_>>().join(",")
    }

    /// [`Params::value`] of a name the endpoint did not declare, by a scan of the items.
    #[cold]
    #[inline(never)]
    fn value_by_scan(&self, name: &str) -> Option<Cow<'_, str>> {
        let list = if self.values_in(&self.body, name).next().is_some() {
            &self.body
        } else {
            &self.query
        };
        match self.duplicates {
            DuplicateParams::First => self.values_in(list, name).next().map(Cow::Borrowed),
            DuplicateParams::Last => self.values_in(list, name).last().map(Cow::Borrowed),
            DuplicateParams::Join => {
                let all: Vec<&str> = self.values_in(list, name).collect();
                (!all.is_empty()).then(|| Cow::Owned(all.join(",")))
            }
        }
    }

    /// The values `name` has in `list`, in order (a bare item counts as an empty value under
    /// PHP's reading).
    fn values_in<'a, 'n>(
        &'a self,
        list: &'a ParamList,
        name: &'n str,
    ) -> impl Iterator<Item = &'a str> + use<'a, 'n> {
        let names = self.names;
        let named = list.values_named(move |candidate| names.matches(candidate, name));
        let bare =
            self.bare_is_empty_value && list.bare().any(|n| names.matches(n.as_bytes(), name));
        named.chain(bare.then_some(""))
    }

    /// The known names given more than once in the query or in the body (in the order they are
    /// known), and the names given that are not known.
    pub fn unusual(&self) -> (Vec<&'static str>, &Strays) {
        if self.repeated == 0 {
            return (Vec::new(), &self.strays);
        }
        let repeated = self
            .known
            .iter()
            .enumerate()
            .filter_map(|(i, k)| (self.repeated & (1u64 << (i % 64)) != 0).then_some(*k))
            .collect();
        (repeated, &self.strays)
    }

    /// The known names given more than once in the query or in the body.
    #[cfg(test)]
    pub fn repeated(&self) -> Vec<&'static str> {
        self.unusual().0
    }

    /// Names given that are not known (for each of the query and the body, named items first,
    /// then items without `=`): the first few, shortened, and how many in all, so a lint stays
    /// small whatever was sent.
    pub fn strays(&self) -> &Strays {
        &self.strays
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
}

/// Declares an endpoint's parameter names once, each with the constant naming its place: the
/// list `KNOWN` that [`Params::new`] matches requests against, and a module `place` holding each
/// name's place in it, for [`Params::known_value`].
macro_rules! known_params {
    ($(#[$doc:meta])* $($place:ident = $name:literal),+ $(,)?) => {
        $(#[$doc])*
        pub const KNOWN: &[&str] = &[$($name),+];

        /// Where each name is in [`KNOWN`], for reading it by place.
        mod place {
            $(
                #[doc = concat!("`", $name, "`.")]
                pub const $place: usize = $crate::http::params::place_of(super::KNOWN, $name);
            )+
        }
    };
}
pub(crate) use known_params;

/// The place of `name` in `known`, worked out when compiling, for [`Params::known_value`]; a name
/// not in `known` does not compile.
pub const fn place_of(known: &[&str], name: &str) -> usize {
    let mut place = 0;
    while place < known.len() {
        if same_text(known[place], name) {
            return place;
        }
        place += 1;
    }
    panic!("the endpoint does not declare this parameter name")
}

/// `a == b`, in a constant.
const fn same_text(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
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
    fn text_without_escapes_is_read_as_the_decoding_path_reads_it() {
        let many: String = (0..MAX_INPUT_VARS + 3)
            .map(|i| format!("n{i}=v&"))
            .collect();
        let inputs = [
            "a=1&&b=&c&d=x=y",
            "",
            "&",
            "&&a&",
            "=v&k=",
            "content=გამარჯობა=&key=k&ნ",
            many.as_str(),
        ];
        for raw in inputs {
            let plain = ParamList::plain(raw.as_bytes(), None).expect("nothing to decode");
            let plain_text =
                ParamList::plain(raw.as_bytes(), Some(raw)).expect("nothing to decode");
            assert_eq!(plain, plain_text, "{raw:?}");
            let decoded = ParamList::decoded(raw.as_bytes());
            let read = |list: &ParamList| {
                let pairs: Vec<(String, String)> = list
                    .pairs()
                    .map(|(n, v)| (n.to_owned(), v.to_owned()))
                    .collect();
                let bare: Vec<String> = list.bare().map(str::to_owned).collect();
                (pairs, bare, list.ignored)
            };
            assert_eq!(read(&plain), read(&decoded), "{raw:?}");
        }
        // Escapes, `+` and invalid UTF-8 take the decoding path.
        assert!(ParamList::plain(&[b'a', b'=', 0xC3], None).is_none());
        assert!(ParamList::plain(b"a=%41", None).is_none());
        assert!(ParamList::plain(b"a=b+c", None).is_none());
        assert_eq!(
            ParamList::from_urlencoded_text("a=%41&b=c+d"),
            ParamList::from_urlencoded(b"a=%41&b=c+d")
        );
    }

    #[test]
    fn places_are_found_by_text() {
        assert_eq!(place_of(KNOWN, "a"), 0);
        assert_eq!(place_of(KNOWN, "content"), KNOWN.len() - 1);
        // A name given as a text made at run time, not the declared literal.
        assert_eq!(place_of(KNOWN, &String::from("key")), 4);
        let missing = std::panic::catch_unwind(|| place_of(KNOWN, "keys"));
        assert!(missing.is_err(), "an undeclared name has no place");
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

    /// The names the tests' parameters know.
    const KNOWN: &[&str] = &["a", "b", "c", "d", "key", "sender", "content"];

    fn params_knowing(
        query: &str,
        body: &str,
        dup: DuplicateParams,
        php: bool,
        known: &'static [&'static str],
    ) -> Params {
        Params::new(
            parse(query),
            parse(body),
            NameMatching::CaseInsensitive,
            dup,
            php,
            known,
        )
    }

    fn params(query: &str, body: &str, dup: DuplicateParams, php: bool) -> Params {
        params_knowing(query, body, dup, php, KNOWN)
    }

    #[test]
    fn a_value_is_chosen_among_all_values_in_the_winning_place_by_the_policy() {
        let cases = [
            ("a=1&A=2&b", ""),
            ("b&a=3", "x=1"),
            ("a=1", "A=9&a=8"),
            ("", "b"),
            ("c=1", ""),
            ("a=1&a&a=2", "c&c"),
            ("x=1&X=2&x", "b=&b=5"),
        ];
        for (query, body) in cases {
            for php in [false, true] {
                for dup in [
                    DuplicateParams::First,
                    DuplicateParams::Last,
                    DuplicateParams::Join,
                ] {
                    // Known names are read from the table filled in one pass, "x" by a scan:
                    // both must agree with every value listed in order.
                    let p = params(query, body, dup, php);
                    for name in ["a", "b", "c", "x"] {
                        let place = if p.values_in(&p.body, name).next().is_some() {
                            &p.body
                        } else {
                            &p.query
                        };
                        let all: Vec<&str> = p.values_in(place, name).collect();
                        let expected = match dup {
                            DuplicateParams::First => all.first().map(|v| v.to_string()),
                            DuplicateParams::Last => all.last().map(|v| v.to_string()),
                            DuplicateParams::Join => (!all.is_empty()).then(|| all.join(",")),
                        };
                        assert_eq!(
                            p.get(name),
                            expected,
                            "{name} in {query:?} | {body:?}, php {php}, {dup:?}"
                        );
                        if name != "x" {
                            let by_place = p.known_value(place_of(KNOWN, name));
                            assert_eq!(by_place.map(Cow::into_owned), expected, "{name} by place");
                        }
                    }
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
            params("a=1&a=2", "", DuplicateParams::First, false).repeated(),
            ["a"]
        );
    }

    #[test]
    fn repeated_names_are_counted_per_list() {
        const ABCD: &[&str] = &["a", "b", "c", "d"];
        let cases: [(&str, &str, bool, &[&str]); 7] = [
            // Names match case-insensitively here.
            ("a=1&A=2&b=1", "c=1", false, &["a"]),
            // A bare item is one more value only under PHP's reading.
            ("a=1&b=1", "b=2&b=3&c", true, &["b"]),
            ("c&c=1", "", true, &["c"]),
            ("c&c=1", "", false, &[]),
            ("c=1&c", "", true, &["c"]),
            // However often it is given bare.
            ("c&c&C", "", true, &[]),
            // Once in the query and once in the body is not a repeat: the body wins.
            ("d=1", "d=2", false, &[]),
        ];
        for (query, body, php, expected) in cases {
            let p = params_knowing(query, body, DuplicateParams::First, php, ABCD);
            assert_eq!(p.repeated(), expected, "{query} | {body}");
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
            &["a"],
        );
        let lint = params.ignored_lint().unwrap();
        assert!(
            lint.starts_with("5 parameters past the first 1000 ignored"),
            "{lint}"
        );
    }

    #[test]
    fn strays_lists_unknown_names_and_bare_items() {
        let p = params_knowing(
            "key=1&content=Tom&Jerry&x=1",
            "y=2&z",
            DuplicateParams::First,
            false,
            &["key", "content"],
        );
        assert_eq!(p.strays().shown, ["x", "Jerry", "y", "z"]);
        assert_eq!(p.strays().to_string(), r#"["x", "Jerry", "y", "z"]"#);
    }
}
