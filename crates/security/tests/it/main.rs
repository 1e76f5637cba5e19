//! End-to-end checks of `security`'s public API across modules: enrolling and using a second
//! factor, signing in under a rate limit with every step written to the audit chain, issuing
//! and parsing tokens, and tampering with a stored chain.

mod audit_chain;
mod sign_in;
mod tokens;
