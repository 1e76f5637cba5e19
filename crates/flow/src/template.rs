//! `{{var}}` templates: how texts, URLs, headers and bodies take in the conversation's
//! variables.
//!
//! Names may be dotted (`{{contact.language}}`) and padded with spaces (`{{ name }}`); a
//! variable that is not set renders as nothing. There is no logic and no escaping syntax on
//! purpose: texts are written by operators, and branching belongs in `split` nodes. When a
//! value lands in a URL or a JSON body the engine escapes it, so a caller's answer can never
//! change the shape of a request.

use std::collections::BTreeMap;

/// Renders `template`, replacing every `{{name}}` with the variable's value.
pub fn render(template: &str, vars: &BTreeMap<String, String>) -> String {
    let mut out = String::with_capacity(template.len());
    render_into(template, Escape::None, &mut out, |name| {
        vars.get(name).map(String::as_str)
    });
    out
}

/// How a value is escaped where it is inserted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Escape {
    /// As is (texts shown to the caller, headers).
    None,
    /// As the inside of a JSON string: a value cannot close the string it stands in.
    Json,
    /// Percent-encoded, except a placeholder at the very start of the template, which
    /// usually holds a base URL (`{{crm_url}}/contacts?phone={{phone}}`).
    Url,
}

/// Renders `template` into `out`, looking names up with `lookup`.
pub(crate) fn render_into<'v>(
    template: &str,
    escape: Escape,
    out: &mut String,
    lookup: impl Fn(&str) -> Option<&'v str>,
) {
    let mut rest = template;
    while let Some(open) = rest.find("{{") {
        out.push_str(&rest[..open]);
        let at_start = template.len() - rest.len() + open == 0;
        let after = &rest[open + 2..];
        let Some(close) = after.find("}}") else {
            out.push_str(&rest[open..]);
            return;
        };
        if let Some(value) = lookup(after[..close].trim()) {
            match escape {
                Escape::None => out.push_str(value),
                Escape::Url if at_start => out.push_str(value),
                Escape::Url => percent_encode(value, out),
                Escape::Json => json_escape(value, out),
            }
        }
        rest = &after[close + 2..];
    }
    out.push_str(rest);
}

/// Whether a template contains a placeholder at all (most texts do not).
pub(crate) fn has_placeholders(template: &str) -> bool {
    template.contains("{{")
}

fn percent_encode(value: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in value.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
    }
}

fn json_escape(value: &str, out: &mut String) {
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                use std::fmt::Write as _;
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn renders_variables_dotted_names_and_spaces() {
        let v = vars(&[("name", "Alex"), ("contact.language", "de")]);
        assert_eq!(
            render("Hi {{name}} ({{ contact.language }})!", &v),
            "Hi Alex (de)!"
        );
        assert_eq!(render("{{missing}}x{{name}}", &v), "xAlex");
        assert_eq!(render("no placeholders", &v), "no placeholders");
        assert_eq!(render("open {{name", &v), "open {{name");
        assert_eq!(render("{{name}}{{name}}", &v), "AlexAlex");
        assert_eq!(render("ä{{name}}ö", &v), "äAlexö");
    }

    #[test]
    fn escapes_urls_and_json() {
        let v = [
            ("base", "https://crm.example/api"),
            ("q", "a b&c=d/ü"),
            ("s", "say \"hi\"\n"),
        ];
        let lookup = |n: &str| v.iter().find(|(k, _)| *k == n).map(|(_, x)| *x);
        let mut out = String::new();
        render_into("{{base}}/find?q={{q}}", Escape::Url, &mut out, lookup);
        assert_eq!(out, "https://crm.example/api/find?q=a%20b%26c%3Dd%2F%C3%BC");
        out.clear();
        render_into(r#"{"text":"{{s}}"}"#, Escape::Json, &mut out, lookup);
        assert_eq!(out, r#"{"text":"say \"hi\"\n"}"#);
    }
}
