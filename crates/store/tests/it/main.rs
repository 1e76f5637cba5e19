//! The store's integration tests: every `Repository` method, run once against SQLite and once
//! against PostgreSQL, each test in a fresh database of its own.
//!
//! A case is written once as `async fn case(store: Store)` (or `(store: Store, raw: Raw)` when it
//! must reach behind the repository) and listed in [`on_both_backends!`], which turns it into
//! the tests `module::case::sqlite` and `module::case::postgres`. The PostgreSQL half needs
//! `HOTLINE_TEST_POSTGRES_URL`; without it those tests fail and say so, rather than pass unseen.

/// Generates, for each listed case, a SQLite and a PostgreSQL test in a module named after it.
/// `raw:` before the list hands the cases the pool underneath as well.
macro_rules! on_both_backends {
    (raw: $($case:ident),+ $(,)?) => {
        $(
            mod $case {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    crate::support::Db::sqlite().await.run_raw(super::$case).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    crate::support::Db::postgres().await.run_raw(super::$case).await;
                }
            }
        )+
    };
    (reopen: $($case:ident),+ $(,)?) => {
        $(
            mod $case {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    crate::support::Db::sqlite().await.run_reopen(super::$case).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    crate::support::Db::postgres().await.run_reopen(super::$case).await;
                }
            }
        )+
    };
    ($($case:ident),+ $(,)?) => {
        $(
            mod $case {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    crate::support::Db::sqlite().await.run(super::$case).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    crate::support::Db::postgres().await.run(super::$case).await;
                }
            }
        )+
    };
}

mod api_keys;
mod at_rest;
mod audit;
mod audit_tamper;
mod backup_codes;
mod contact_centre;
mod conversations;
mod messaging;
mod privacy;
mod proxy;
mod sessions;
mod sip_accounts;
mod support;
mod tenancy;
mod users;
