//! The known-entity gazetteer: the names of the people and organisations an instance already
//! holds (a loaded sanctions or PEP list, a company registry) found in document text, so a
//! document that names one of them is linked to it even where name recognition misses it.
//!
//! Names and text are reduced to the same form: [`fold`] (ASCII, lowercase, one space
//! between words) and then a spelling skeleton that makes common transliteration variants
//! meet (`Yanukovych`, `Ianukovich` and `Янукович` all become `ianukovich`), and
//! finally common case endings are cut from long words, so inflected forms meet the
//! list's form (`Виктору Януковичу`, `Angela Merkels`; see [`ENDINGS`]). One
//! Aho–Corasick automaton over the skeletons of every name finds all of them in one pass
//! over a document, whatever the number of names; matches must start and end on word
//! boundaries.

use std::sync::Arc;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use crate::fold::fold;

/// One entity whose names are looked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownEntity {
    /// The entity's id as stored (signed).
    pub id: String,
    /// The collection the entity belongs to.
    pub collection_id: i64,
    /// The FtM schema name (`Person`, `Company`…).
    pub schema: String,
    /// The entity's caption, written to the document's mention properties.
    pub caption: String,
}

/// A known entity named in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownHit {
    pub entity: Arc<KnownEntity>,
    /// The name of the entity that matched, as the list spells it.
    pub name: String,
}

/// The compiled gazetteer; cheap to share, rebuilt when the instance's entities change.
#[derive(Debug, Default)]
pub struct KnownNames {
    automaton: Option<AhoCorasick>,
    /// For each pattern: the entities that have this name, and the name as written.
    targets: Vec<(Vec<Arc<KnownEntity>>, String)>,
    entities: usize,
}

/// The fewest letters and digits a single-word name needs to be looked for (shorter ones,
/// like `ABC` or `Apple`, name too many other things).
const MIN_SINGLE_WORD: usize = 7;
/// The fewest letters and digits of a name of several words.
const MIN_NAME: usize = 5;

impl KnownNames {
    /// Compile the names of `entities`: each item is an entity with its names (the
    /// caption, aliases…). Names too short to be telling are left out.
    pub fn build<I, N>(entities: I) -> KnownNames
    where
        I: IntoIterator<Item = (KnownEntity, N)>,
        N: IntoIterator<Item = String>,
    {
        let mut by_key: std::collections::HashMap<String, usize> = Default::default();
        let mut targets: Vec<(Vec<Arc<KnownEntity>>, String)> = Vec::new();
        let mut patterns: Vec<String> = Vec::new();
        let mut count = 0;
        for (entity, names) in entities {
            let entity = Arc::new(entity);
            let person = entity.schema == "Person";
            let mut used = false;
            for name in names {
                let key = stem_words(&skeleton(&fold(&name)));
                let letters = key.chars().filter(|c| *c != ' ').count();
                let words = key.split(' ').count();
                // A single word is never enough for a person (`Smith`); for other
                // entities only when it is long.
                let telling = if words == 1 {
                    !person && letters >= MIN_SINGLE_WORD
                } else {
                    letters >= MIN_NAME
                };
                if !telling {
                    continue;
                }
                let i = *by_key.entry(key.clone()).or_insert_with(|| {
                    patterns.push(format!(" {key} "));
                    targets.push((Vec::new(), name.clone()));
                    targets.len() - 1
                });
                if !targets[i].0.iter().any(|e| e.id == entity.id) {
                    targets[i].0.push(entity.clone());
                    used = true;
                }
            }
            count += usize::from(used);
        }
        // Leftmost-longest: `Bank of Cyprus Holdings` wins over `Bank of Cyprus` where
        // both are known and the text names the longer one.
        let automaton = if patterns.is_empty() {
            None
        } else {
            AhoCorasickBuilder::new()
                .match_kind(MatchKind::LeftmostLongest)
                .build(&patterns)
                .ok()
        };
        KnownNames {
            automaton,
            targets,
            entities: count,
        }
    }

    /// How many entities have at least one name looked for.
    pub fn len(&self) -> usize {
        self.entities
    }

    pub fn is_empty(&self) -> bool {
        self.entities == 0
    }

    /// Every known entity named in `text`, each once, in order of first appearance.
    pub fn find(&self, text: &str) -> Vec<KnownHit> {
        let Some(automaton) = &self.automaton else {
            return Vec::new();
        };
        let folded = format!(" {} ", stem_words(&skeleton(&fold(text))));
        let mut hits: Vec<KnownHit> = Vec::new();
        // Patterns carry their bounding spaces, so consecutive names share one space:
        // search overlapping starts by hand, one byte after each match's first space.
        let mut at = 0;
        while at < folded.len() {
            let input = aho_corasick::Input::new(&folded).range(at..);
            let Some(m) = automaton.find(input) else {
                break;
            };
            for entity in &self.targets[m.pattern().as_usize()].0 {
                if !hits.iter().any(|h| h.entity.id == entity.id) {
                    hits.push(KnownHit {
                        entity: entity.clone(),
                        name: self.targets[m.pattern().as_usize()].1.clone(),
                    });
                }
            }
            // Continue at the space that ends this match.
            at = m.end() - 1;
        }
        hits
    }
}

/// Case endings cut from the end of a word, in skeleton form, longest first: Russian
/// declension of names (`-а`, `-у`, `-е`, `-ом`, `-ым`, `-ого`, `-ому`, `-ой`, `-ою`…)
/// and the German and English genitive `s` (`Merkels`, `Merkel's`). Both the list's names
/// and the text are cut alike, so a name in the nominative meets its other cases.
const ENDINGS: [&str; 15] = [
    "ogo", "ego", "omu", "emu", "oiu", "eiu", "om", "em", "oi", "ei", "im", "a", "u", "e", "s",
];
/// The fewest letters left after cutting an ending: shorter words are kept whole, so
/// short names are never confused (`Ivan`/`Ivana`, `Olga Sova`/`Olga Sovu`).
const MIN_STEM: usize = 5;

/// Cut one case ending from each word of a skeleton that keeps [`MIN_STEM`] letters.
fn stem_words(skeleton: &str) -> String {
    let mut out = String::with_capacity(skeleton.len());
    for (i, word) in skeleton.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let letters = word.bytes().all(|b| b.is_ascii_lowercase());
        let stem = ENDINGS
            .iter()
            .filter(|_| letters)
            .find_map(|e| word.strip_suffix(e).filter(|s| s.len() >= MIN_STEM))
            .unwrap_or(word);
        out.push_str(stem);
    }
    out
}

/// Make common transliteration variants of folded text meet: `y`/`j` become `i`,
/// `kh` becomes `h`, `w` becomes `v`, `ph` becomes `f`, and doubled letters are written
/// once. Spaces are kept, so word boundaries survive.
fn skeleton(folded: &str) -> String {
    let bytes = folded.as_bytes();
    let mut out = String::with_capacity(folded.len());
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let next = bytes.get(i + 1).copied();
        let mapped = match (c, next) {
            (b'k', Some(b'h')) | (b'p', Some(b'h')) => {
                i += 1;
                if c == b'k' { b'h' } else { b'f' }
            }
            (b'y' | b'j', _) => b'i',
            (b'w', _) => b'v',
            _ => c,
        };
        if !(mapped != b' ' && out.as_bytes().last() == Some(&mapped)) {
            out.push(char::from(mapped));
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entity(id: &str, schema: &str, caption: &str) -> KnownEntity {
        KnownEntity {
            id: id.to_owned(),
            collection_id: 7,
            schema: schema.to_owned(),
            caption: caption.to_owned(),
        }
    }

    fn names(items: &[(&str, &str, &[&str])]) -> KnownNames {
        KnownNames::build(items.iter().map(|(id, schema, names)| {
            (
                entity(id, schema, names[0]),
                names.iter().map(|n| n.to_string()).collect::<Vec<_>>(),
            )
        }))
    }

    fn ids(known: &KnownNames, text: &str) -> Vec<String> {
        known
            .find(text)
            .into_iter()
            .map(|h| h.entity.id.clone())
            .collect()
    }

    #[test]
    fn names_are_found_across_scripts_and_spellings() {
        let known = names(&[("yan", "Person", &["Viktor Yanukovych"])]);
        assert_eq!(ids(&known, "Payments to Viktor Yanukovych, 2013."), ["yan"]);
        assert_eq!(ids(&known, "Виктор Янукович подписал"), ["yan"]);
        assert_eq!(ids(&known, "VIKTOR IANUKOVICH"), ["yan"]);
    }

    #[test]
    fn inflected_forms_are_found() {
        let known = names(&[
            ("yan", "Person", &["Viktor Yanukovych"]),
            ("am", "Person", &["Angela Merkel"]),
            ("gaz", "Company", &["Gazprombank"]),
        ]);
        assert_eq!(ids(&known, "Платежи Виктору Януковичу"), ["yan"]);
        assert_eq!(ids(&known, "деньги Виктора Януковича"), ["yan"]);
        assert_eq!(ids(&known, "с Виктором Януковичем"), ["yan"]);
        assert_eq!(ids(&known, "Angela Merkels Sprecher"), ["am"]);
        assert_eq!(ids(&known, "Angela Merkel's spokesman"), ["am"]);
        assert_eq!(ids(&known, "кредит Газпромбанку"), ["gaz"]);
        assert_eq!(ids(&known, "счета в Газпромбанке"), ["gaz"]);
    }

    #[test]
    fn short_names_get_no_case_endings() {
        let known = names(&[
            ("iv", "Person", &["Ivan Sova"]),
            ("ol", "Person", &["Olga Rudenko"]),
        ]);
        // `Ivana Sovu` would be `Ivan Sova` inflected, but also another person: short
        // words must match as written.
        assert!(ids(&known, "Ivana Sovu").is_empty());
        assert!(ids(&known, "Ivan Sovu").is_empty());
        assert_eq!(ids(&known, "Ivan Sova"), ["iv"]);
        // A long word keeps its ending check: `Rudenka` is not `Rudenko`.
        assert!(ids(&known, "Olga Rudenka").is_empty());
        assert_eq!(ids(&known, "Olga Rudenko"), ["ol"]);
        // A word that merely starts like a name is no inflection of it.
        assert!(ids(&known, "Angela Merkelbach").is_empty());
    }

    #[test]
    fn endings_are_cut_from_long_words_only() {
        assert_eq!(stem_words("ianukovichu viktoru"), "ianukovich viktor");
        assert_eq!(stem_words("merkels ivana sova"), "merkel ivana sova");
        assert_eq!(stem_words("rotenbergom 2019a"), "rotenberg 2019a");
    }

    #[test]
    fn matches_need_word_boundaries() {
        let known = names(&[("ab", "Company", &["Alpha Beta"])]);
        assert_eq!(ids(&known, "the alpha beta deal"), ["ab"]);
        assert!(ids(&known, "alphabeta").is_empty());
        assert!(ids(&known, "alpha betamax").is_empty());
        assert!(ids(&known, "xalpha beta").is_empty());
    }

    #[test]
    fn short_and_single_word_person_names_are_not_looked_for() {
        let known = names(&[
            ("smith", "Person", &["Smith"]),
            ("abc", "Company", &["ABC"]),
            ("gaz", "Company", &["Gazprombank"]),
            ("al", "Person", &["Al Li"]),
        ]);
        assert_eq!(known.len(), 1);
        assert_eq!(ids(&known, "Smith of ABC banks at Gazprombank"), ["gaz"]);
    }

    #[test]
    fn adjacent_and_repeated_names_are_each_found_once() {
        let known = names(&[
            ("a", "Person", &["Anna Schmidt"]),
            ("b", "Company", &["Schmidt Holdings"]),
            ("c", "Person", &["Boris Ivanov", "Борис Иванов"]),
        ]);
        assert_eq!(
            ids(&known, "Boris Ivanov; Anna Schmidt and Борис Иванов."),
            ["c", "a"]
        );
        // `Anna Schmidt Holdings`: leftmost-longest takes Anna Schmidt; the overlapping
        // company is not invented from the shared word.
        assert_eq!(ids(&known, "Anna Schmidt Holdings"), ["a"]);
        assert_eq!(ids(&known, "Schmidt Holdings"), ["b"]);
    }

    #[test]
    fn entities_sharing_a_name_are_all_found() {
        let known = names(&[
            ("x1", "Person", &["Ivan Petrov"]),
            ("x2", "Person", &["Ivan Petrov"]),
        ]);
        assert_eq!(ids(&known, "met Ivan Petrov"), ["x1", "x2"]);
        let hit = &known.find("Ivan Petrov")[0];
        assert_eq!(hit.name, "Ivan Petrov");
    }

    #[test]
    fn an_empty_gazetteer_finds_nothing() {
        let known = KnownNames::default();
        assert!(known.is_empty());
        assert!(known.find("Viktor Yanukovych").is_empty());
    }
}
