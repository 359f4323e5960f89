//! JSON: the file keeps its `Document` schema; every string value (not the keys), in
//! document order, is joined into `indexText`, as ingest-file does. The file is parsed
//! as a stream without building its tree, so a 100 MB file needs little more memory than
//! the text it yields (and that is bounded by the text limit).

use std::fmt;
use std::io::BufReader;
use std::path::Path;

use ftm::Entity;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::budget::TextBudget;
use crate::{Context, IngestError};

pub(crate) fn ingest(entity: &mut Entity, path: &Path, ctx: &Context) -> Result<(), IngestError> {
    let mut file = BufReader::new(std::fs::File::open(path)?);
    skip_bom(&mut file)?;
    let mut leaves = Leaves {
        text: String::new(),
        budget: TextBudget::new(ctx.limits.max_text_bytes),
    };
    let mut de = serde_json::Deserializer::from_reader(file);
    Collect(&mut leaves)
        .deserialize(&mut de)
        .and_then(|()| de.end())
        .map_err(|e| IngestError::corrupt(format!("The file is not valid JSON: {e}")))?;
    if !leaves.text.is_empty() {
        entity.add("indexText", &leaves.text)?;
    }
    leaves.budget.note_cut(entity)
}

/// A UTF-8 byte-order mark is not JSON, but editors write one.
fn skip_bom(file: &mut BufReader<std::fs::File>) -> Result<(), IngestError> {
    use std::io::BufRead;
    let head = file.fill_buf()?;
    if head.starts_with(&[0xEF, 0xBB, 0xBF]) {
        file.consume(3);
    }
    Ok(())
}

struct Leaves {
    text: String,
    budget: TextBudget,
}

impl Leaves {
    fn add(&mut self, s: &str) {
        let s = s.trim();
        if s.is_empty() || self.budget.is_spent() {
            return;
        }
        if !self.text.is_empty() {
            let separator = self.budget.take("\n");
            self.text.push_str(separator);
        }
        let kept = self.budget.take(s);
        self.text.push_str(kept);
    }
}

/// Walks any JSON value, sending its string leaves to `Leaves`.
struct Collect<'a>(&'a mut Leaves);

impl<'de> DeserializeSeed<'de> for Collect<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Collect<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_str<E>(self, v: &str) -> Result<(), E> {
        self.0.add(v);
        Ok(())
    }

    fn visit_string<E>(self, v: String) -> Result<(), E> {
        self.0.add(&v);
        Ok(())
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(Collect(&mut *self.0))?.is_some() {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while map.next_key::<IgnoredAny>()?.is_some() {
            map.next_value_seed(Collect(&mut *self.0))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaves(json: &str, limit: usize) -> String {
        let mut leaves = Leaves {
            text: String::new(),
            budget: TextBudget::new(limit),
        };
        let mut de = serde_json::Deserializer::from_str(json);
        Collect(&mut leaves).deserialize(&mut de).unwrap();
        leaves.text
    }

    #[test]
    fn collects_string_values_not_keys() {
        let json = r#"{"name": "Acme Ltd", "n": 3, "tags": ["shell", {"deep": "Panama"}], "ok": true, "x": null}"#;
        assert_eq!(leaves(json, 1000), "Acme Ltd\nshell\nPanama");
        assert_eq!(leaves(json, 4), "Acme");
    }
}
