//! A wrapper for personal data (phone numbers, message text, IP addresses) that cannot leak
//! through formatting: `Debug` and `Display` print a placeholder, never the value. Code that
//! truly needs the value calls `expose()`, which is easy to find in review.

use std::fmt;

/// Personal data. Formatting it prints `<redacted>`.
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct Redacted<T>(T);

impl<T> Redacted<T> {
    /// Wraps a value.
    pub const fn new(value: T) -> Self {
        Self(value)
    }

    /// The value itself, for the code that must act on it (never for logs).
    pub fn expose(&self) -> &T {
        &self.0
    }

    /// Unwraps the value.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> From<T> for Redacted<T> {
    fn from(value: T) -> Self {
        Self(value)
    }
}

impl<T> fmt::Debug for Redacted<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl<T> fmt::Display for Redacted<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formatting_reveals_nothing() {
        let phone = Redacted::new(String::from("+4930123456789"));
        let text = Redacted::new("Ich habe Angst");
        for shown in [
            format!("{phone}"),
            format!("{phone:?}"),
            format!("{phone:#?}"),
            format!("{text} {text:?}"),
            format!("{:?}", Some(&phone)),
        ] {
            assert!(!shown.contains("4930"), "leaked: {shown}");
            assert!(!shown.contains("Angst"), "leaked: {shown}");
            assert!(shown.contains("<redacted>"));
        }
        assert_eq!(phone.expose(), "+4930123456789");
    }
}
