//! The [`crate::analysis`] analyzer as a Tantivy tokenizer.

use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

use crate::analysis;

/// Tokenizes with [`analysis::index_tokens`]. Token buffers are reused between texts, so
/// indexing allocates only when a text has more tokens than any before it.
#[derive(Clone, Default)]
pub struct AlephTokenizer {
    tokens: Vec<Token>,
}

pub struct AlephTokenStream<'a> {
    /// Never empty: a spare default token stands in before the first `advance`.
    tokens: &'a mut [Token],
    len: usize,
    /// One past the current token; 0 before the first `advance`.
    next: usize,
}

impl Tokenizer for AlephTokenizer {
    type TokenStream<'a> = AlephTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> AlephTokenStream<'a> {
        let mut len = 0;
        let tokens = &mut self.tokens;
        analysis::index_tokens(text, |t| {
            if len == tokens.len() {
                tokens.push(Token::default());
            }
            let slot = &mut tokens[len];
            slot.offset_from = t.from;
            slot.offset_to = t.to;
            slot.position = t.position;
            slot.position_length = 1;
            slot.text.clear();
            slot.text.push_str(&t.text);
            len += 1;
        });
        if self.tokens.is_empty() {
            self.tokens.push(Token::default());
        }
        AlephTokenStream {
            tokens: &mut self.tokens[..],
            len,
            next: 0,
        }
    }
}

impl AlephTokenStream<'_> {
    fn current(&self) -> usize {
        self.next.saturating_sub(1).min(self.tokens.len() - 1)
    }
}

impl TokenStream for AlephTokenStream<'_> {
    fn advance(&mut self) -> bool {
        if self.next < self.len {
            self.next += 1;
            true
        } else {
            false
        }
    }

    fn token(&self) -> &Token {
        &self.tokens[self.current()]
    }

    fn token_mut(&mut self) -> &mut Token {
        let i = self.current();
        &mut self.tokens[i]
    }
}
