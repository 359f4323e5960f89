//! The per-file text limit (`Limits::max_text_bytes`): text beyond it is cut, and the cut
//! is noted on the document so a reader knows the text is incomplete.

use ftm::Entity;

use crate::IngestError;

/// How much text one file may still contribute.
#[derive(Debug)]
pub(crate) struct TextBudget {
    limit: usize,
    used: usize,
    cut: bool,
}

impl TextBudget {
    pub(crate) fn new(limit: usize) -> TextBudget {
        TextBudget {
            limit,
            used: 0,
            cut: false,
        }
    }

    /// The part of `text` that still fits (all of it, a prefix cut at a character
    /// boundary, or nothing).
    pub(crate) fn take<'a>(&mut self, text: &'a str) -> &'a str {
        let left = self.limit - self.used;
        if text.len() <= left {
            self.used += text.len();
            return text;
        }
        self.cut = true;
        let mut end = left;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        self.used += end;
        &text[..end]
    }

    /// Whether nothing more fits.
    pub(crate) fn is_spent(&self) -> bool {
        self.used >= self.limit
    }

    /// Whether some text was cut.
    pub(crate) fn was_cut(&self) -> bool {
        self.cut
    }

    /// Record on the document that its text was cut.
    pub(crate) fn note_cut(&self, entity: &mut Entity) -> Result<(), IngestError> {
        if self.cut {
            entity.add(
                "notes",
                &format!(
                    "Text cut: only the first {} bytes of text were kept (text limit)",
                    self.limit
                ),
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_at_a_character_boundary_and_remembers() {
        let mut budget = TextBudget::new(5);
        assert_eq!(budget.take("abc"), "abc");
        assert!(!budget.was_cut());
        // "é" is two bytes: only "d" fits in the two bytes left before it would split.
        assert_eq!(budget.take("déf"), "d");
        assert!(budget.was_cut());
        assert_eq!(budget.take("more"), "m");
        assert!(budget.is_spent());
        assert_eq!(budget.take("x"), "");
    }
}
