//! Just enough of the zip and `.npy` formats to read NumPy's `.npz` archives: the central
//! directory, stored or deflated members, and version 1–3 array headers of little-endian
//! `f4`, `u1`, `i1` and `f8` arrays in C order.

use std::collections::HashMap;

use crate::LoadError;

/// One array: its shape and its values as `f32` (or raw bytes for `u1`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Array {
    F32 { shape: Vec<usize>, data: Vec<f32> },
    U8 { shape: Vec<usize>, data: Vec<u8> },
}

/// The members of an archive by name (without the `.npy` suffix).
pub(crate) fn read_npz(bytes: &[u8]) -> Result<HashMap<String, Array>, LoadError> {
    let mut out = HashMap::new();
    for entry in central_directory(bytes)? {
        let raw = member_bytes(bytes, &entry)?;
        let name = entry.name.strip_suffix(".npy").unwrap_or(&entry.name);
        let array = parse_npy(&raw).map_err(|why| LoadError::Weights(format!("{name}: {why}")))?;
        out.insert(name.to_owned(), array);
    }
    Ok(out)
}

struct Entry {
    name: String,
    method: u16,
    compressed: usize,
    uncompressed: usize,
    local_offset: usize,
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn bad(why: &str) -> LoadError {
    LoadError::Weights(why.to_owned())
}

fn central_directory(b: &[u8]) -> Result<Vec<Entry>, LoadError> {
    // The end-of-central-directory record is the last 22 bytes plus a comment of up to 64 KiB.
    let lowest = b.len().saturating_sub(22 + 65_535);
    let eocd = (lowest..=b.len().saturating_sub(22))
        .rev()
        .find(|&i| u32_at(b, i) == Some(0x0605_4b50))
        .ok_or_else(|| bad("not a zip archive (no end of central directory)"))?;
    let count = usize::from(u16_at(b, eocd + 10).ok_or_else(|| bad("truncated"))?);
    let mut at = u32_at(b, eocd + 16).ok_or_else(|| bad("truncated"))? as usize;
    let mut entries = Vec::with_capacity(count);
    for _ in 0..count {
        let field = |off: usize| u32_at(b, at + off).ok_or_else(|| bad("truncated directory"));
        if field(0)? != 0x0201_4b50 {
            return Err(bad("corrupt central directory"));
        }
        let short = |off: usize| {
            u16_at(b, at + off)
                .map(usize::from)
                .ok_or_else(|| bad("truncated directory"))
        };
        let method = short(10)? as u16;
        let (compressed, uncompressed) = (field(20)? as usize, field(24)? as usize);
        let (name_len, extra_len, comment_len) = (short(28)?, short(30)?, short(32)?);
        let local_offset = field(42)? as usize;
        if compressed == 0xFFFF_FFFF || uncompressed == 0xFFFF_FFFF || local_offset == 0xFFFF_FFFF {
            return Err(bad("zip64 archives are not supported"));
        }
        let name = b
            .get(at + 46..at + 46 + name_len)
            .ok_or_else(|| bad("truncated directory"))?;
        entries.push(Entry {
            name: String::from_utf8_lossy(name).into_owned(),
            method,
            compressed,
            uncompressed,
            local_offset,
        });
        at += 46 + name_len + extra_len + comment_len;
    }
    Ok(entries)
}

fn member_bytes(b: &[u8], e: &Entry) -> Result<Vec<u8>, LoadError> {
    let at = e.local_offset;
    if u32_at(b, at) != Some(0x0403_4b50) {
        return Err(bad("corrupt local header"));
    }
    let name_len = usize::from(u16_at(b, at + 26).ok_or_else(|| bad("truncated"))?);
    let extra_len = usize::from(u16_at(b, at + 28).ok_or_else(|| bad("truncated"))?);
    let start = at + 30 + name_len + extra_len;
    let data = b
        .get(start..start + e.compressed)
        .ok_or_else(|| bad("truncated member"))?;
    match e.method {
        0 => Ok(data.to_vec()),
        8 => miniz_oxide::inflate::decompress_to_vec_with_limit(data, e.uncompressed)
            .map_err(|err| LoadError::Weights(format!("{}: inflate: {err:?}", e.name))),
        m => Err(LoadError::Weights(format!(
            "{}: unsupported compression method {m}",
            e.name
        ))),
    }
}

fn parse_npy(b: &[u8]) -> Result<Array, String> {
    if b.get(..6) != Some(b"\x93NUMPY".as_slice()) {
        return Err("not an .npy array".into());
    }
    let major = *b.get(6).ok_or("truncated")?;
    let (header_len, header_start) = match major {
        1 => (usize::from(u16_at(b, 8).ok_or("truncated")?), 10),
        2 | 3 => (u32_at(b, 8).ok_or("truncated")? as usize, 12),
        v => return Err(format!("unsupported .npy version {v}")),
    };
    let header = b
        .get(header_start..header_start + header_len)
        .ok_or("truncated header")?;
    let header = std::str::from_utf8(header).map_err(|_| "header is not text")?;
    let descr = dict_value(header, "descr")
        .and_then(|v| v.strip_prefix('\''))
        .and_then(|v| v.split('\'').next())
        .ok_or("no descr")?;
    if dict_value(header, "fortran_order").is_some_and(|v| v.starts_with("True")) {
        return Err("Fortran-order arrays are not supported".into());
    }
    let shape_text = dict_value(header, "shape").ok_or("no shape")?;
    let inner = shape_text
        .strip_prefix('(')
        .and_then(|s| s.split(')').next())
        .ok_or("bad shape")?;
    let shape = inner
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<usize>().map_err(|_| "bad shape".to_owned()))
        .collect::<Result<Vec<_>, _>>()?;
    let count = shape.iter().product::<usize>();
    let body = &b[header_start + header_len..];
    let need = |width: usize| -> Result<&[u8], String> {
        body.get(..count * width)
            .ok_or_else(|| "array body shorter than its shape".to_owned())
    };
    match descr {
        "<f4" => Ok(Array::F32 {
            data: need(4)?
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
            shape,
        }),
        "<f8" => Ok(Array::F32 {
            data: need(8)?
                .chunks_exact(8)
                .map(|c| {
                    let mut a = [0u8; 8];
                    a.copy_from_slice(c);
                    f64::from_le_bytes(a) as f32
                })
                .collect(),
            shape,
        }),
        "|u1" => Ok(Array::U8 {
            data: need(1)?.to_vec(),
            shape,
        }),
        "|i1" => Ok(Array::F32 {
            data: need(1)?
                .iter()
                .map(|&v| f32::from(i8::from_le_bytes([v])))
                .collect(),
            shape,
        }),
        other => Err(format!("unsupported dtype {other}")),
    }
}

/// The text after `'key':` in a Python dict literal, up to the end of the header.
fn dict_value<'a>(header: &'a str, key: &str) -> Option<&'a str> {
    let pattern = format!("'{key}':");
    let at = header.find(&pattern)? + pattern.len();
    Some(header[at..].trim_start())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn npy(descr: &str, shape: &str, body: &[u8]) -> Vec<u8> {
        let header =
            format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}\n");
        let mut out = b"\x93NUMPY\x01\x00".to_vec();
        out.extend_from_slice(&(header.len() as u16).to_le_bytes());
        out.extend_from_slice(header.as_bytes());
        out.extend_from_slice(body);
        out
    }

    #[test]
    fn reads_npy_headers_and_bodies() {
        let body: Vec<u8> = [1.5f32, -2.0]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        assert_eq!(
            parse_npy(&npy("<f4", "(2,)", &body)),
            Ok(Array::F32 {
                shape: vec![2],
                data: vec![1.5, -2.0]
            })
        );
        assert_eq!(
            parse_npy(&npy("<f8", "()", &1e-12f64.to_le_bytes())),
            Ok(Array::F32 {
                shape: vec![],
                data: vec![1e-12]
            })
        );
        assert!(parse_npy(&npy("<f4", "(3,)", &body)).is_err(), "short body");
        assert!(
            parse_npy(&npy("<c8", "(1,)", &body)).is_err(),
            "complex dtype"
        );
        assert!(parse_npy(b"\x93NUMP").is_err());
    }

    #[test]
    fn garbage_is_not_an_archive() {
        assert!(read_npz(b"").is_err());
        assert!(read_npz(&[0u8; 100]).is_err());
    }
}
