//! Plain text: `PlainText` with the decoded text as `bodyText` and the detected
//! `encoding` (byte-order mark, else valid UTF-8, else the guess of chardetng).

use std::path::Path;

use ftm::Entity;

use super::budget::TextBudget;
use super::{narrow, read_head};
use crate::text::decode;
use crate::{Context, IngestError};

pub(crate) fn ingest(entity: &mut Entity, path: &Path, ctx: &Context) -> Result<(), IngestError> {
    let (text, encoding) = read_text(path, ctx)?;
    narrow(entity, "PlainText")?;
    entity.add("encoding", &encoding.to_ascii_lowercase())?;
    set_body_text(entity, &text, ctx)
}

/// Decode a text file, reading no more than the text limit needs (four bytes per
/// character at most, the widest encoding).
pub(crate) fn read_text(path: &Path, ctx: &Context) -> Result<(String, &'static str), IngestError> {
    let max = (ctx.limits.max_text_bytes as u64)
        .saturating_mul(4)
        .saturating_add(4);
    let bytes = read_head(path, max)?;
    Ok(decode(&bytes))
}

/// Set `bodyText` within the text limit, noting a cut.
pub(crate) fn set_body_text(
    entity: &mut Entity,
    text: &str,
    ctx: &Context,
) -> Result<(), IngestError> {
    let mut budget = TextBudget::new(ctx.limits.max_text_bytes);
    let kept = budget.take(text);
    if !kept.trim().is_empty() {
        entity.add("bodyText", kept)?;
    }
    budget.note_cut(entity)
}
