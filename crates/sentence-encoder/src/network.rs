//! The encoder's forward pass: a deep averaging network over piece embeddings widened by
//! three residual convolutions over piece n-grams (orders 2, 3 and 5), then a small
//! feed-forward head. One sentence at a time, f32, matrices kept in (input × output)
//! row-major order so every product is a run of contiguous multiply-adds the compiler
//! vectorises: for each input coordinate, one weight row is added into every output row.

use std::collections::HashMap;

use crate::LoadError;
use crate::npz::Array;

/// Embedding and final output width.
pub(crate) const DIM: usize = 512;
/// Width of each convolution branch.
const CNN: usize = 256;
/// The piece table is stored in this many interleaved, separately quantised chunks.
const CHUNKS: usize = 17;
/// (n-gram order, pieces to the left of the centre) of the three convolution branches.
const ORDERS: [(usize, usize); 3] = [(2, 0), (3, 1), (5, 2)];
/// Width of the features averaged over pieces: the embedding and the three branches.
const FEATS: usize = DIM + ORDERS.len() * CNN;
const HIDDEN: usize = 320;

struct Branch {
    order: usize,
    left: usize,
    /// `order` blocks of CNN × CNN, one per window position.
    w1: Vec<f32>,
    b1: Vec<f32>,
    w2: Vec<f32>,
    b2: Vec<f32>,
}

pub(crate) struct Network {
    /// Chunk `c` holds the quantised rows of the pieces `id` with `id % CHUNKS == c`, at row
    /// `id / CHUNKS`.
    table: Vec<Vec<u8>>,
    scale: Vec<f32>,
    lo: Vec<f32>,
    /// DIM × (3 · CNN): the three branches' input projections side by side.
    proj: Vec<f32>,
    proj_b: Vec<f32>,
    ln1_g: Vec<f32>,
    ln1_b: Vec<f32>,
    branches: Vec<Branch>,
    ln2_g: Vec<f32>,
    ln2_b: Vec<f32>,
    cnn_w: Vec<f32>,
    cnn_b: Vec<f32>,
    d0: Vec<f32>,
    d1: Vec<f32>,
    p1: Vec<f32>,
    d2: Vec<f32>,
    p3: Vec<f32>,
    d3: Vec<f32>,
    eps: f32,
}

impl std::fmt::Debug for Network {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Network")
            .field("pieces", &self.pieces())
            .finish_non_exhaustive()
    }
}

/// Takes an f32 array of the given shape out of the archive.
fn take(
    arrays: &mut HashMap<String, Array>,
    name: &str,
    shape: &[usize],
) -> Result<Vec<f32>, LoadError> {
    match arrays.remove(name) {
        Some(Array::F32 { shape: s, data }) if s == shape => Ok(data),
        Some(_) => Err(LoadError::Weights(format!(
            "{name}: expected an f32 array of shape {shape:?}"
        ))),
        None => Err(LoadError::Weights(format!("{name}: missing"))),
    }
}

/// Columns of several (rows × cols_i) matrices side by side.
fn hconcat(parts: &[Vec<f32>], rows: usize) -> Vec<f32> {
    let mut out = Vec::with_capacity(parts.iter().map(Vec::len).sum());
    for r in 0..rows {
        for p in parts {
            let cols = p.len() / rows;
            out.extend_from_slice(&p[r * cols..(r + 1) * cols]);
        }
    }
    out
}

impl Network {
    pub(crate) fn from_arrays(mut a: HashMap<String, Array>) -> Result<Network, LoadError> {
        let mut table = Vec::with_capacity(CHUNKS);
        let mut rows = None;
        for c in 0..CHUNKS {
            let name = format!("q{}", c + 1);
            match a.remove(&name) {
                Some(Array::U8 { shape, data }) if shape.len() == 2 && shape[1] == DIM => {
                    if rows.is_some_and(|r| r != shape[0]) {
                        return Err(LoadError::Weights(format!("{name}: row count differs")));
                    }
                    rows = Some(shape[0]);
                    table.push(data);
                }
                _ => {
                    return Err(LoadError::Weights(format!(
                        "{name}: expected a u8 array of shape (rows, {DIM})"
                    )));
                }
            }
        }
        let scale = take(&mut a, "scale", &[CHUNKS])?;
        let lo = take(&mut a, "lo", &[CHUNKS])?;
        let mut projs = Vec::new();
        let mut branches = Vec::new();
        let (mut proj_b, mut ln1_g, mut ln1_b) = (Vec::new(), Vec::new(), Vec::new());
        for (order, left) in ORDERS {
            projs.push(take(&mut a, &format!("proj{order}"), &[DIM, CNN])?);
            proj_b.extend(take(&mut a, &format!("proj_b{order}"), &[CNN])?);
            ln1_g.extend(take(&mut a, &format!("ln_g{order}"), &[CNN])?);
            ln1_b.extend(take(&mut a, &format!("ln_b{order}"), &[CNN])?);
            branches.push(Branch {
                order,
                left,
                w1: take(&mut a, &format!("w1_{order}"), &[order * CNN, CNN])?,
                b1: take(&mut a, &format!("b1_{order}"), &[CNN])?,
                w2: take(&mut a, &format!("w2_{order}"), &[order * CNN, CNN])?,
                b2: take(&mut a, &format!("b2_{order}"), &[CNN])?,
            });
        }
        let eps = take(&mut a, "eps", &[])?[0];
        Ok(Network {
            table,
            scale,
            lo,
            proj: hconcat(&projs, DIM),
            proj_b,
            ln1_g,
            ln1_b,
            branches,
            ln2_g: take(&mut a, "ln_g", &[FEATS])?,
            ln2_b: take(&mut a, "ln_b", &[FEATS])?,
            cnn_w: take(&mut a, "cnn_W", &[FEATS, DIM])?,
            cnn_b: take(&mut a, "cnn_b", &[DIM])?,
            d0: take(&mut a, "d0", &[DIM, HIDDEN])?,
            d1: take(&mut a, "d1", &[HIDDEN, HIDDEN])?,
            p1: take(&mut a, "p1", &[DIM, HIDDEN])?,
            d2: take(&mut a, "d2", &[HIDDEN, DIM])?,
            p3: take(&mut a, "p3", &[HIDDEN, DIM])?,
            d3: take(&mut a, "d3", &[DIM, DIM])?,
            eps,
        })
    }

    /// How many piece ids the embedding table covers.
    pub(crate) fn pieces(&self) -> usize {
        self.table.first().map_or(0, |t| t.len() / DIM * CHUNKS)
    }

    /// The unit-length embedding of a piece sequence (at least one piece; ids beyond the
    /// table are the caller's bug and read as `<unk>`).
    pub(crate) fn forward(&self, ids: &[u32]) -> Vec<f32> {
        let n = ids.len().max(1);
        // Piece embeddings, dequantised: value · scale + lo of the piece's chunk.
        let mut emb = vec![0.0f32; n * DIM];
        for (t, &id) in ids.iter().enumerate() {
            let id = if (id as usize) < self.pieces() {
                id as usize
            } else {
                0
            };
            let (chunk, row) = (id % CHUNKS, id / CHUNKS);
            let q = &self.table[chunk][row * DIM..(row + 1) * DIM];
            let (s, lo) = (self.scale[chunk], self.lo[chunk]);
            for (e, &v) in emb[t * DIM..(t + 1) * DIM].iter_mut().zip(q) {
                *e = f32::from(v) * s + lo;
            }
        }

        // The three branches' inputs, normalised together.
        let wide = ORDERS.len() * CNN;
        let mut x = Vec::with_capacity(n * wide);
        for _ in 0..n {
            x.extend_from_slice(&self.proj_b);
        }
        matmul_add(&emb, DIM, &self.proj, wide, &mut x);
        for row in x.chunks_exact_mut(wide) {
            layer_norm(row, &self.ln1_g, &self.ln1_b, self.eps);
        }

        let mut feats = vec![0.0f32; n * FEATS];
        for t in 0..n {
            feats[t * FEATS..t * FEATS + DIM].copy_from_slice(&emb[t * DIM..(t + 1) * DIM]);
        }
        let mut xs = vec![0.0f32; n * CNN];
        for (b, branch) in self.branches.iter().enumerate() {
            for t in 0..n {
                xs[t * CNN..(t + 1) * CNN]
                    .copy_from_slice(&x[t * wide + b * CNN..t * wide + (b + 1) * CNN]);
            }
            let h = branch.residual_conv(&xs, &branch.w1, &branch.b1);
            let c = branch.residual_conv(&h, &branch.w2, &branch.b2);
            let off = DIM + b * CNN;
            for t in 0..n {
                feats[t * FEATS + off..t * FEATS + off + CNN]
                    .copy_from_slice(&c[t * CNN..(t + 1) * CNN]);
            }
        }

        // Normalise each piece's features, sum over pieces, then project: the projection
        // is linear, so projecting the sum costs one product instead of one per piece.
        let mut sum = vec![0.0f32; FEATS];
        for row in feats.chunks_exact_mut(FEATS) {
            layer_norm(row, &self.ln2_g, &self.ln2_b, self.eps);
            for (s, v) in sum.iter_mut().zip(row.iter()) {
                *s += v;
            }
        }
        let len = n as f32;
        let mut mean: Vec<f32> = self.cnn_b.iter().map(|b| b * len).collect();
        matmul_add(&sum, FEATS, &self.cnn_w, DIM, &mut mean);
        let inv = 1.0 / len.sqrt();
        mean.iter_mut().for_each(|v| *v *= inv);

        let mut y0 = vec![0.0f32; HIDDEN];
        matmul_add(&mean, DIM, &self.d0, HIDDEN, &mut y0);
        relu(&mut y0);
        let mut y1 = vec![0.0f32; HIDDEN];
        matmul_add(&mean, DIM, &self.p1, HIDDEN, &mut y1);
        matmul_add(&y0, HIDDEN, &self.d1, HIDDEN, &mut y1);
        relu(&mut y1);
        let mut y2 = vec![0.0f32; DIM];
        matmul_add(&y1, HIDDEN, &self.d2, DIM, &mut y2);
        relu(&mut y2);
        let mut z = vec![0.0f32; DIM];
        matmul_add(&y1, HIDDEN, &self.p3, DIM, &mut z);
        matmul_add(&y2, DIM, &self.d3, DIM, &mut z);
        z.iter_mut().for_each(|v| *v = v.tanh());
        let norm = z.iter().map(|v| v * v).sum::<f32>().max(self.eps).sqrt();
        z.iter_mut().for_each(|v| *v /= norm);
        z
    }
}

impl Branch {
    /// `relu(b + Σ window · W) + input` for every piece: the window holds the `order`
    /// pieces starting `left` before it, with zeros beyond the sentence's ends.
    fn residual_conv(&self, input: &[f32], w: &[f32], b: &[f32]) -> Vec<f32> {
        let n = input.len() / CNN;
        let mut out = Vec::with_capacity(n * CNN);
        for _ in 0..n {
            out.extend_from_slice(b);
        }
        for o in 0..self.order {
            // Piece t reads piece t + o − left; keep the t for which that exists.
            let shift = o as isize - self.left as isize;
            let first = (-shift).max(0) as usize;
            let last = (n as isize - shift).min(n as isize);
            if last <= first as isize {
                continue;
            }
            let last = last as usize;
            let src = (first as isize + shift) as usize;
            let block = &w[o * CNN * CNN..(o + 1) * CNN * CNN];
            matmul_add(
                &input[src * CNN..(src + last - first) * CNN],
                CNN,
                block,
                CNN,
                &mut out[first * CNN..last * CNN],
            );
        }
        relu(&mut out);
        for (o, i) in out.iter_mut().zip(input) {
            *o += i;
        }
        out
    }
}

/// `out += x · w` for `x` of rows × `k` and `w` of `k` × `n`, all row-major. The loop runs
/// over `w`'s rows once, adding each into every output row, so `w` streams through the
/// cache a single time while the few output rows stay in it.
fn matmul_add(x: &[f32], k: usize, w: &[f32], n: usize, out: &mut [f32]) {
    let rows = x.len() / k;
    for (kk, w_row) in w.chunks_exact(n).enumerate().take(k) {
        for r in 0..rows {
            let a = x[r * k + kk];
            if a == 0.0 {
                continue;
            }
            for (o, &wv) in out[r * n..(r + 1) * n].iter_mut().zip(w_row) {
                *o += a * wv;
            }
        }
    }
}

fn relu(v: &mut [f32]) {
    v.iter_mut().for_each(|x| *x = x.max(0.0));
}

fn layer_norm(row: &mut [f32], gamma: &[f32], beta: &[f32], eps: f32) {
    let len = row.len() as f32;
    let mean = row.iter().sum::<f32>() / len;
    row.iter_mut().for_each(|v| *v -= mean);
    let var = row.iter().map(|v| v * v).sum::<f32>() / len;
    let inv = 1.0 / (var + eps).sqrt();
    for ((v, g), b) in row.iter_mut().zip(gamma).zip(beta) {
        *v = *v * inv * g + b;
    }
}
