//! Golden wire vectors: a fixed state's encoding, kept in a file and compared byte for byte,
//! so a change of the wire format cannot go unnoticed.

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;
use std::path::{Path, PathBuf};

use crate::codec::{self, DecodeError, EncodeError, WireType};

/// The environment variable that turns on bless mode: with `CONCORD_BLESS=1`, the golden
/// checks write the current encodings to their files instead of comparing with them.
pub const BLESS_VAR: &str = "CONCORD_BLESS";

/// Whether bless mode is on: [`BLESS_VAR`] is set to `1`.
#[must_use]
pub fn bless_requested() -> bool {
    std::env::var_os(BLESS_VAR).is_some_and(|v| v == "1")
}

/// Why a golden vector check failed.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum GoldenError<T> {
    /// The value could not be encoded.
    Encode(EncodeError),
    /// The golden file could not be read.
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error, rendered.
        reason: String,
    },
    /// Bless mode could not write the golden file.
    Write {
        /// The file.
        path: PathBuf,
        /// The I/O error, rendered.
        reason: String,
    },
    /// The value's encoding differs from the golden bytes.
    Bytes {
        /// The type's [`WireType::NAME`].
        name: &'static str,
        /// The golden bytes.
        golden: Vec<u8>,
        /// The value's encoding.
        encoded: Vec<u8>,
    },
    /// The golden bytes do not decode.
    Decode(DecodeError),
    /// The golden bytes decode to a state other than the value.
    Decoded {
        /// The value the vector is of.
        expected: T,
        /// What the golden bytes decoded to.
        got: T,
    },
}

fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 3);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(&alloc::format!("{b:02x}"));
    }
    out
}

impl<T: fmt::Debug> fmt::Display for GoldenError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Encode(e) => write!(f, "golden vector: {e}"),
            Self::Read { path, reason } => write!(
                f,
                "golden vector {}: {reason}; run with {BLESS_VAR}=1 to write it",
                path.display()
            ),
            Self::Write { path, reason } => {
                write!(
                    f,
                    "golden vector {}: cannot write: {reason}",
                    path.display()
                )
            }
            Self::Bytes {
                name,
                golden,
                encoded,
            } => {
                let at = golden
                    .iter()
                    .zip(encoded)
                    .position(|(g, e)| g != e)
                    .unwrap_or(golden.len().min(encoded.len()));
                write!(
                    f,
                    "golden vector: the encoding of {name} differs from the golden bytes at \
                     byte {at} (golden {} bytes, encoding {} bytes)\n  golden:   {}\n  \
                     encoding: {}\nIf the wire format changed on purpose, bump {name}'s \
                     WireType::VERSION, then rerun with {BLESS_VAR}=1.",
                    golden.len(),
                    encoded.len(),
                    hex(golden),
                    hex(encoded)
                )
            }
            Self::Decode(e) => write!(f, "golden vector: the golden bytes do not decode: {e}"),
            Self::Decoded { expected, got } => write!(
                f,
                "golden vector: the golden bytes decode to another state\n  expected: \
                 {expected:?}\n  got:      {got:?}"
            ),
        }
    }
}

impl<T: fmt::Debug> core::error::Error for GoldenError<T> {}

/// Checks `value` against its golden encoding: [`codec::encode`] gives exactly `golden`, and
/// `golden` decodes back to a state equal to `value`.
///
/// # Examples
///
/// ```
/// use concord_core::{codec, laws, Dot};
///
/// let dot = Dot::new(300u64, 70_000);
/// let golden = codec::encode(&dot)?;
/// assert!(laws::check_golden(&dot, &golden).is_ok());
///
/// let other = Dot::new(300u64, 70_001);
/// assert!(matches!(
///     laws::check_golden(&other, &golden),
///     Err(laws::GoldenError::Bytes { .. })
/// ));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// [`GoldenError::Encode`], [`GoldenError::Bytes`] when the encoding differs,
/// [`GoldenError::Decode`] when `golden` does not decode, [`GoldenError::Decoded`] when it
/// decodes to another state.
pub fn check_golden<T>(value: &T, golden: &[u8]) -> Result<(), GoldenError<T>>
where
    T: WireType + Clone + PartialEq + fmt::Debug,
{
    let encoded = codec::encode(value).map_err(GoldenError::Encode)?;
    if encoded != golden {
        return Err(GoldenError::Bytes {
            name: T::NAME,
            golden: golden.to_vec(),
            encoded,
        });
    }
    let got = codec::decode::<T>(golden).map_err(GoldenError::Decode)?;
    if got != *value {
        return Err(GoldenError::Decoded {
            expected: value.clone(),
            got,
        });
    }
    Ok(())
}

/// Checks `value` against the golden file at `path` with [`check_golden`]. With `bless`, first
/// writes the value's encoding to `path` (creating its folder), then checks that it decodes
/// back.
///
/// # Errors
///
/// [`GoldenError::Read`] when the file cannot be read (it may not exist yet: bless it),
/// [`GoldenError::Write`] when bless mode cannot write it, or an error of [`check_golden`].
pub fn check_golden_file<T>(path: &Path, value: &T, bless: bool) -> Result<(), GoldenError<T>>
where
    T: WireType + Clone + PartialEq + fmt::Debug,
{
    if bless {
        let bytes = codec::encode(value).map_err(GoldenError::Encode)?;
        let write = |e: std::io::Error| GoldenError::Write {
            path: path.to_path_buf(),
            reason: e.to_string(),
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(write)?;
        }
        std::fs::write(path, &bytes).map_err(write)?;
    }
    let golden = std::fs::read(path).map_err(|e| GoldenError::Read {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    check_golden(value, &golden)
}

/// Checks `value` against the golden file at `path`, in bless mode when
/// [`bless_requested`]. What [`golden_test!`](crate::golden_test) expands to.
///
/// # Panics
///
/// When [`check_golden_file`] fails; the message says what differs and how to bless. This is a
/// test runner: panicking is how it reports.
#[track_caller]
#[allow(
    clippy::panic,
    reason = "a test runner: the panic is the failing test's message"
)]
pub fn run_golden<T>(path: impl AsRef<Path>, value: &T)
where
    T: WireType + Clone + PartialEq + fmt::Debug,
{
    let path = path.as_ref();
    if let Err(e) = check_golden_file(path, value, bless_requested()) {
        panic!("{e}");
    }
}
