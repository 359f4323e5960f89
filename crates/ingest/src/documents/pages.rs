//! Paged documents (PDFs, office files, presentations): the file's entity becomes `Pages`,
//! each page a `Page` entity (`document`, `index` from 1, `bodyText`) whose id Aleph
//! derives from the document's id and the page number, and the text of all pages also
//! lands in the document's `indexText` so that searching finds the document itself.

use ftm::Entity;

use super::budget::TextBudget;
use super::{entity_id, narrow};
use crate::{Context, IngestError, Sink, child_id};

/// Emits the pages of one document in order.
pub(crate) struct PageWriter<'s> {
    doc_id: String,
    sink: &'s mut dyn Sink,
    budget: TextBudget,
    index_text: String,
    count: u32,
}

impl<'s> PageWriter<'s> {
    /// Narrow `entity` to `Pages` and get ready to emit its pages.
    pub(crate) fn start(
        entity: &mut Entity,
        ctx: &Context,
        sink: &'s mut dyn Sink,
    ) -> Result<PageWriter<'s>, IngestError> {
        narrow(entity, "Pages")?;
        Ok(PageWriter {
            doc_id: entity_id(entity)?,
            sink,
            budget: TextBudget::new(ctx.limits.max_text_bytes),
            index_text: String::new(),
            count: 0,
        })
    }

    /// Emit page `number` (from 1) with its text, which may be empty: the page still
    /// exists. Pages may come out of order.
    pub(crate) fn page(&mut self, number: u32, text: &str) -> Result<(), IngestError> {
        self.count += 1;
        let index = number.to_string();
        let mut page = Entity::with_id("Page", child_id(&self.doc_id, &index))?;
        page.add_cleaned("document", self.doc_id.as_str())?;
        page.add_cleaned("index", index)?;
        let text = self.budget.take(text.trim_end());
        if !text.trim().is_empty() {
            page.add("bodyText", text)?;
            if !self.index_text.is_empty() {
                self.index_text.push_str("\n\n");
            }
            self.index_text.push_str(text);
        }
        self.sink.entity(page)?;
        Ok(())
    }

    /// Emit the next page after those emitted so far.
    pub(crate) fn next_page(&mut self, text: &str) -> Result<(), IngestError> {
        self.page(self.count + 1, text)
    }

    /// How many pages were emitted so far.
    pub(crate) fn count(&self) -> u32 {
        self.count
    }

    /// Write the collected text to the document; returns the number of pages.
    pub(crate) fn finish(self, entity: &mut Entity) -> Result<u32, IngestError> {
        if !self.index_text.is_empty() {
            entity.add("indexText", &self.index_text)?;
        }
        self.budget.note_cut(entity)?;
        Ok(self.count)
    }
}

/// Text gathered page by page while a document is parsed; explicit page breaks start a
/// new page. Text past `cap` bytes is dropped as it comes (the page budget would cut it
/// anyway), so a huge document never sits in memory whole.
#[derive(Debug)]
pub(crate) struct PagedText {
    pages: Vec<String>,
    current: String,
    size: usize,
    cap: usize,
}

impl PagedText {
    pub(crate) fn new(cap: usize) -> PagedText {
        PagedText {
            pages: Vec::new(),
            current: String::new(),
            size: 0,
            cap,
        }
    }

    pub(crate) fn push_str(&mut self, text: &str) {
        if self.size < self.cap {
            self.size += text.len();
            self.current.push_str(text);
        }
    }

    pub(crate) fn push(&mut self, c: char) {
        if self.size < self.cap {
            self.size += c.len_utf8();
            self.current.push(c);
        }
    }

    /// End the current line, unless it is already ended.
    pub(crate) fn newline(&mut self) {
        if !self.current.is_empty() && !self.current.ends_with('\n') {
            self.push('\n');
        }
    }

    /// Start a new page, unless the current one is still empty (a break at the very start
    /// of a document, or two breaks in a row, make no empty page).
    pub(crate) fn page_break(&mut self) {
        if !self.current.trim().is_empty() {
            self.pages.push(std::mem::take(&mut self.current));
        }
    }

    /// Start a new page even if the current one is empty (slides are pages even when
    /// they hold no text).
    pub(crate) fn new_page(&mut self) {
        self.pages.push(std::mem::take(&mut self.current));
    }

    /// Add text to the last page (or the current one): notes, footnotes, headers.
    pub(crate) fn append_to_last(&mut self, text: &str) {
        let text = text.trim();
        if text.is_empty() {
            return;
        }
        let target = if self.current.trim().is_empty() {
            self.pages.last_mut().unwrap_or(&mut self.current)
        } else {
            &mut self.current
        };
        if !target.is_empty() {
            target.push_str("\n\n");
        }
        target.push_str(text);
    }

    /// The pages, the current one included if it has text; at least one page.
    pub(crate) fn into_pages(mut self) -> Vec<String> {
        if !self.current.trim().is_empty() || self.pages.is_empty() {
            self.pages.push(self.current);
        }
        self.pages
    }

    /// Emit the pages through `writer`, at most `max_pages` of them (see
    /// [`page_limit`]); returns how many pages the document has.
    pub(crate) fn emit(
        self,
        writer: &mut PageWriter<'_>,
        ctx: &Context,
    ) -> Result<usize, IngestError> {
        let pages = self.into_pages();
        let total = pages.len();
        for page in pages.into_iter().take(ctx.limits.max_pages as usize) {
            writer.next_page(&page)?;
        }
        Ok(total)
    }
}

/// After the first `max_pages` pages were emitted (and the document finished), fail as
/// `Limit` if `what` has more, so the cut shows in the ledger and can be retried with a
/// higher limit.
pub(crate) fn page_limit(what: &str, total: usize, ctx: &Context) -> Result<(), IngestError> {
    let max = ctx.limits.max_pages as usize;
    if total > max {
        return Err(IngestError::limit(format!(
            "{what} has {total} pages; only the first {max} were read (page limit)"
        )));
    }
    Ok(())
}
