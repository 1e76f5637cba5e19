//! Lexical helpers shared by the header parsers: tokens, quoted strings, linear white space and
//! generic parameters (RFC 3261 §25.1). Errors are short static reasons that callers wrap with the
//! header name.

use std::fmt;

/// RFC 3261 `token` characters.
pub(crate) fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-.!%*_+`'~".contains(c)
}

pub(crate) fn is_ws(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// A cursor over a header value.
#[derive(Debug)]
pub(crate) struct Scanner<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> Scanner<'a> {
    pub(crate) fn new(s: &'a str) -> Self {
        Scanner { s, pos: 0 }
    }

    pub(crate) fn rest(&self) -> &'a str {
        &self.s[self.pos..]
    }

    pub(crate) fn at_end(&self) -> bool {
        self.pos >= self.s.len()
    }

    pub(crate) fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    pub(crate) fn skip_ws(&mut self) -> bool {
        let before = self.pos;
        self.take_while(is_ws);
        self.pos > before
    }

    pub(crate) fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.pos += c.len_utf8();
            true
        } else {
            false
        }
    }

    pub(crate) fn expect(&mut self, c: char, reason: &'static str) -> Result<(), &'static str> {
        if self.eat(c) { Ok(()) } else { Err(reason) }
    }

    pub(crate) fn take_while(&mut self, f: impl Fn(char) -> bool) -> &'a str {
        let start = self.pos;
        let rest = self.rest();
        let len = rest.find(|c: char| !f(c)).unwrap_or(rest.len());
        self.pos += len;
        &self.s[start..start + len]
    }

    pub(crate) fn token(&mut self, reason: &'static str) -> Result<&'a str, &'static str> {
        let t = self.take_while(is_token_char);
        if t.is_empty() { Err(reason) } else { Ok(t) }
    }

    /// Reads a quoted string starting at `"` and returns its unescaped content.
    pub(crate) fn quoted(&mut self) -> Result<String, &'static str> {
        self.expect('"', "expected quoted string")?;
        let mut out = String::new();
        let mut chars = self.rest().char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => {
                    self.pos += i + 1;
                    return Ok(out);
                }
                '\\' => match chars.next() {
                    Some((_, '\r' | '\n')) | None => return Err("bad escape in quoted string"),
                    Some((_, e)) => out.push(e),
                },
                '\r' | '\n' => return Err("line break in quoted string"),
                c => out.push(c),
            }
        }
        Err("unterminated quoted string")
    }
}

/// Writes `s` as a quoted string, escaping `"` and `\`.
pub(crate) fn write_quoted(f: &mut impl fmt::Write, s: &str) -> fmt::Result {
    f.write_char('"')?;
    for c in s.chars() {
        if c == '"' || c == '\\' {
            f.write_char('\\')?;
        }
        f.write_char(c)?;
    }
    f.write_char('"')
}

/// Splits a list header value at top-level commas (outside quotes and angle brackets).
pub(crate) fn split_list(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut start, mut in_quote, mut in_angle, mut escaped) = (0, false, false, false);
    for (i, c) in s.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' if in_quote => escaped = true,
            '"' => in_quote = !in_quote,
            '<' if !in_quote => in_angle = true,
            '>' if !in_quote => in_angle = false,
            ',' if !in_quote && !in_angle => {
                out.push(s[start..i].trim_matches(is_ws));
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(s[start..].trim_matches(is_ws));
    out
}

/// One `;name[=value]` parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    pub name: String,
    pub value: Option<String>,
    /// Whether the value was (and will be written as) a quoted string.
    pub quoted: bool,
}

/// Header or URI parameters in their original order; names compare case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Params(pub Vec<Param>);

impl Params {
    /// `Some(value)` when the parameter is present (`Some(None)` for a flag parameter).
    pub fn get(&self, name: &str) -> Option<Option<&str>> {
        self.0
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
            .map(|p| p.value.as_deref())
    }

    /// The value of a parameter that has one.
    pub fn value(&self, name: &str) -> Option<&str> {
        self.get(name).flatten()
    }

    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Sets (replacing) a token-valued parameter.
    pub fn set(&mut self, name: &str, value: Option<&str>) {
        self.remove(name);
        self.0.push(Param {
            name: name.to_owned(),
            value: value.map(str::to_owned),
            quoted: false,
        });
    }

    pub fn remove(&mut self, name: &str) {
        self.0.retain(|p| !p.name.eq_ignore_ascii_case(name));
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Parses `*( ";" param )` with optional LWS around separators; stops before `,`, `>` or `?`.
    pub(crate) fn parse(sc: &mut Scanner<'_>) -> Result<Params, &'static str> {
        let mut params = Vec::new();
        loop {
            sc.skip_ws();
            if !sc.eat(';') {
                return Ok(Params(params));
            }
            sc.skip_ws();
            let name = sc.token("empty parameter")?.to_owned();
            sc.skip_ws();
            let (value, quoted) = if sc.eat('=') {
                sc.skip_ws();
                if sc.peek() == Some('"') {
                    (Some(sc.quoted()?), true)
                } else {
                    let v = sc.take_while(|c| is_token_char(c) || "[]:".contains(c));
                    if v.is_empty() {
                        return Err("empty parameter value");
                    }
                    (Some(v.to_owned()), false)
                }
            } else {
                (None, false)
            };
            params.push(Param {
                name,
                value,
                quoted,
            });
        }
    }
}

impl fmt::Display for Params {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for p in &self.0 {
            write!(f, ";{}", p.name)?;
            match (&p.value, p.quoted) {
                (Some(v), true) => {
                    f.write_str("=")?;
                    write_quoted(f, v)?;
                }
                (Some(v), false) => write!(f, "={v}")?,
                (None, _) => {}
            }
        }
        Ok(())
    }
}
