//! The analyze stage: one entity in, the entity with what its text mentions, plus one
//! `Mention` entity per person or organisation name.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use ftm::{Entity, EntityError, PropertyType, model};

use crate::known::{KnownHit, KnownNames};
use crate::language::{LanguageTally, MIN_LETTERS, has_letters};
use crate::names::{NameKind, NameSpan, Recognizer, RuleRecognizer, place_country};
use crate::patterns::{Finding, PatternKind, find_patterns};
use crate::text::{chunks, texts};

/// How much text of one entity is analysed by default (characters); the rest is not
/// read, so a huge document costs bounded time (a few tenths of a second).
pub const DEFAULT_MAX_TEXT_CHARS: usize = 1_000_000;
/// The most distinct values one property receives, and the most mentions per entity.
pub const MAX_TAGS: usize = 1_000;
/// The most e-mail addresses or phone numbers copied onto each mention as context.
pub const MAX_CONTEXT_VALUES: usize = 20;

/// What the analyzer needs to know about where an entity comes from.
#[derive(Debug, Clone)]
pub struct Context {
    /// The collection's countries (FtM codes), tried for national phone numbers after
    /// the entity's own `country` values.
    pub collection_countries: Vec<String>,
    /// The languages the collection declares. When it declares none, the detected
    /// languages also fill an entity's empty `language` property.
    pub collection_languages: Vec<String>,
    /// How much text of one entity is analysed (characters).
    pub max_text_chars: usize,
    /// The instance's known people and organisations, linked from the documents that
    /// name them.
    pub known: Option<Arc<KnownNames>>,
}

impl Default for Context {
    fn default() -> Context {
        Context {
            collection_countries: Vec::new(),
            collection_languages: Vec::new(),
            max_text_chars: DEFAULT_MAX_TEXT_CHARS,
            known: None,
        }
    }
}

/// The result of analysing one entity.
#[derive(Debug, Clone)]
pub struct Analysis {
    /// The entity with the analysis properties added.
    pub entity: Entity,
    /// `Mention` entities, one per distinct person or organisation name (documents only).
    pub mentions: Vec<Entity>,
    /// Every pattern found, including kinds that have no FtM property (URLs, BICs, LEIs,
    /// IMO numbers, crypto-currency addresses).
    pub findings: Vec<Finding>,
    /// The text was longer than [`Context::max_text_chars`] and only its start was read.
    pub truncated: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum AnalyzeError {
    #[error(transparent)]
    Entity(#[from] EntityError),
}

/// Runs language detection, pattern extraction and name recognition.
pub struct Analyzer {
    recognizer: Box<dyn Recognizer>,
}

impl Default for Analyzer {
    fn default() -> Analyzer {
        Analyzer::new(Box::new(RuleRecognizer))
    }
}

impl std::fmt::Debug for Analyzer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Analyzer").finish_non_exhaustive()
    }
}

/// How an entity's languages are decided.
#[derive(Clone, Copy)]
enum Languages<'a> {
    /// By judging its own texts.
    Judge,
    /// Its document's verdict (a page of a document in one language): not judged again.
    Given(&'a [String]),
}

const PEOPLE: &str = "peopleMentioned";
const COMPANIES: &str = "companiesMentioned";

/// A name seen in the text: its spellings and what it was taken for.
struct NameTag {
    prop: &'static str,
    key: String,
    values: Vec<String>,
    companies: usize,
    organizations: usize,
    /// The known entity this name is, when the gazetteer found it.
    known: Option<Arc<crate::known::KnownEntity>>,
}

/// Values in order of first appearance, each once, at most [`MAX_TAGS`].
#[derive(Default)]
struct Ordered(Vec<String>);

impl Ordered {
    fn push(&mut self, value: String) {
        if self.0.len() < MAX_TAGS && !self.0.contains(&value) {
            self.0.push(value);
        }
    }
}

impl Analyzer {
    pub fn new(recognizer: Box<dyn Recognizer>) -> Analyzer {
        Analyzer { recognizer }
    }

    /// Analyse one entity. Entities that are not `Analyzable` only get their language
    /// detected (if their schema has `detectedLanguage`, like `Page`); tables are left
    /// alone, as Aleph leaves them to mappings. Analysing the result again gives the same
    /// result.
    pub fn analyze(&self, entity: &Entity, context: &Context) -> Result<Analysis, AnalyzeError> {
        Ok(self.analyze_judged(entity, context, Languages::Judge)?.0)
    }

    /// Analyse the entities of one document together, handing each result to `each` as
    /// soon as it is made (one analysed copy of a text is held at a time).
    ///
    /// Languages are judged once per document, as Aleph's ingest-file does: a `Pages`
    /// document is judged on its own text (its `indexText` is its pages' text joined,
    /// sampled like any long text), before its pages. When that verdict names one language
    /// (or none), its pages among `entities` take it without being judged again: a page
    /// with fewer than [`MIN_LETTERS`] letters gets none. When it names several, each page
    /// is judged on its own text, so that a mixed document's pages tell which language is
    /// where. Results are otherwise those of [`Analyzer::analyze`], and the document's own
    /// are the same whether its pages are among `entities` or not.
    pub fn analyze_each<E: From<AnalyzeError>>(
        &self,
        entities: &[Entity],
        context: &Context,
        mut each: impl FnMut(&Entity, Analysis) -> Result<(), E>,
    ) -> Result<(), E> {
        let is_page = |e: &&Entity| e.schema().name() == "Page";
        let paged: HashSet<&str> = entities
            .iter()
            .filter(is_page)
            .filter_map(|page| page.first("document"))
            .collect();
        // The verdicts of the documents whose pages are here.
        let mut verdicts: HashMap<&str, Vec<String>> = HashMap::new();
        for entity in entities.iter().filter(|e| !is_page(e)) {
            let (analysis, languages) = self.analyze_judged(entity, context, Languages::Judge)?;
            if let Some(id) = entity.id()
                && paged.contains(id)
                && entity.schema().is_a_name("Pages")
            {
                verdicts.insert(id, languages);
            }
            each(entity, analysis)?;
        }
        for page in entities.iter().filter(is_page) {
            let how = match page.first("document").and_then(|d| verdicts.get(d)) {
                Some(languages) if languages.len() <= 1 => Languages::Given(languages),
                _ => Languages::Judge,
            };
            let (analysis, _) = self.analyze_judged(page, context, how)?;
            each(page, analysis)?;
        }
        Ok(())
    }

    /// Analyse `entity`, its languages decided as `how` says. Returns the languages too.
    fn analyze_judged(
        &self,
        entity: &Entity,
        context: &Context,
        how: Languages<'_>,
    ) -> Result<(Analysis, Vec<String>), AnalyzeError> {
        let schema = entity.schema();
        let has = |prop: &str| schema.property(prop).is_some();
        // The entity is copied once, into the result: a huge document's text is held
        // twice (the caller's and the result's), not more.
        let mut out = entity.clone();
        let mut analysis = Analysis {
            entity: Entity::new(schema),
            mentions: Vec::new(),
            findings: Vec::new(),
            truncated: false,
        };
        if schema.is_a_name("Table") || !has("detectedLanguage") {
            analysis.entity = out;
            return Ok((analysis, Vec::new()));
        }
        let (texts, truncated) = texts(entity, context.max_text_chars);
        analysis.truncated = truncated;

        let languages = match how {
            Languages::Judge => LanguageTally::of(texts.iter().copied()).languages(),
            Languages::Given(given) if has_letters(&texts, MIN_LETTERS) => given.to_vec(),
            Languages::Given(_) => Vec::new(),
        };
        out.pop("detectedLanguage");
        out.add_all("detectedLanguage", &languages)?;
        if context.collection_languages.is_empty() && has("language") && !out.has("language") {
            out.add_all("language", &languages)?;
        }
        if !schema.is_a_name("Analyzable") {
            analysis.entity = out;
            return Ok((analysis, languages));
        }
        let verdict = languages.clone();
        let languages: Vec<String> = if languages.is_empty() {
            out.get("language").to_vec()
        } else {
            languages
        };

        let mut names: Vec<NameTag> = Vec::new();
        let mut name_index: HashMap<(&'static str, String), usize> = HashMap::new();
        let mut locations = Ordered::default();
        let mut countries = Ordered::default();
        for text in &texts {
            for chunk in chunks(text) {
                for span in self.recognizer.recognize(chunk, &languages) {
                    self.collect_name(
                        span,
                        &mut names,
                        &mut name_index,
                        &mut locations,
                        &mut countries,
                    );
                }
            }
        }

        if let Some(known) = &context.known {
            for text in &texts {
                for hit in known.find(text) {
                    collect_known(hit, &mut names, &mut name_index);
                }
            }
        }

        // Phone regions: the entity's own countries, the collection's, then the places
        // its text names.
        let mut regions = Ordered::default();
        for c in entity
            .get("country")
            .iter()
            .chain(&context.collection_countries)
        {
            regions.push(c.to_ascii_lowercase());
        }
        for c in &countries.0 {
            regions.push(c.clone());
        }
        let mut by_kind: HashMap<PatternKind, Ordered> = HashMap::new();
        for text in &texts {
            for chunk in chunks(text) {
                let base = chunk.as_ptr() as usize - text.as_ptr() as usize;
                for mut finding in find_patterns(chunk, &regions.0) {
                    if let Some(country) = &finding.country {
                        countries.push(country.clone());
                    }
                    by_kind
                        .entry(finding.kind)
                        .or_default()
                        .push(finding.value.clone());
                    finding.span = finding.span.start + base..finding.span.end + base;
                    analysis.findings.push(finding);
                }
            }
        }

        let labels: Vec<(&'static str, String)> = names
            .iter()
            .filter_map(|tag| ftm::names::pick_name(&tag.values).map(|l| (tag.prop, l.to_owned())))
            .collect();
        for (prop, label) in &labels {
            add_if(&mut out, prop, label)?;
        }
        for (_, label) in &labels {
            add_if(&mut out, "namesMentioned", label)?;
        }
        for location in &locations.0 {
            add_if(&mut out, "locationMentioned", location)?;
        }
        for country in &countries.0 {
            add_if(&mut out, "detectedCountry", country)?;
        }
        let mut kinds: Vec<&PatternKind> = by_kind.keys().collect();
        kinds.sort();
        for kind in kinds {
            if let Some(prop) = kind.property() {
                for value in &by_kind[kind].0 {
                    add_if(&mut out, prop, value)?;
                }
            }
        }

        if schema.is_a_name("Document")
            && let Some(doc_id) = entity.id()
        {
            let empty = Ordered::default();
            let emails = by_kind.get(&PatternKind::Email).unwrap_or(&empty);
            let phones = by_kind.get(&PatternKind::Phone).unwrap_or(&empty);
            for tag in names.iter().take(MAX_TAGS) {
                analysis
                    .mentions
                    .push(mention(doc_id, tag, &countries.0, &emails.0, &phones.0)?);
            }
        }
        analysis.entity = out;
        Ok((analysis, verdict))
    }

    fn collect_name(
        &self,
        span: NameSpan,
        names: &mut Vec<NameTag>,
        index: &mut HashMap<(&'static str, String), usize>,
        locations: &mut Ordered,
        countries: &mut Ordered,
    ) {
        let opts = ftm::CleanOptions::default();
        let prop = match span.kind {
            NameKind::Location => {
                if let Some(country) = place_country(&span.name) {
                    countries.push(country.to_owned());
                }
                if let Some(address) = PropertyType::Address.clean(&span.name, opts) {
                    locations.push(address);
                }
                return;
            }
            NameKind::Person => PEOPLE,
            NameKind::Company | NameKind::Organization => COMPANIES,
        };
        let Some(value) = PropertyType::Name.clean(&span.name, opts) else {
            return;
        };
        let Some(key) = PropertyType::Name.node_id(&value) else {
            return;
        };
        let Some(i) = tag_slot(names, index, prop, key) else {
            return;
        };
        let tag = &mut names[i];
        if !tag.values.contains(&value) {
            tag.values.push(value);
        }
        match span.kind {
            NameKind::Company => tag.companies += 1,
            NameKind::Organization => tag.organizations += 1,
            _ => {}
        }
    }
}

/// The position of the tag of `(prop, key)`, created if new; `None` once [`MAX_TAGS`]
/// names are held.
fn tag_slot(
    names: &mut Vec<NameTag>,
    index: &mut HashMap<(&'static str, String), usize>,
    prop: &'static str,
    key: String,
) -> Option<usize> {
    if let Some(&i) = index.get(&(prop, key.clone())) {
        return Some(i);
    }
    if names.len() >= MAX_TAGS {
        return None;
    }
    names.push(NameTag {
        prop,
        key: key.clone(),
        values: Vec::new(),
        companies: 0,
        organizations: 0,
        known: None,
    });
    index.insert((prop, key), names.len() - 1);
    Some(names.len() - 1)
}

/// Record a gazetteer hit as a name tag resolved to its entity; a name the recogniser
/// found already takes the link.
fn collect_known(
    hit: KnownHit,
    names: &mut Vec<NameTag>,
    index: &mut HashMap<(&'static str, String), usize>,
) {
    let prop = if hit.entity.schema == "Person" {
        PEOPLE
    } else {
        COMPANIES
    };
    let opts = ftm::CleanOptions::default();
    let Some(value) = PropertyType::Name.clean(&hit.entity.caption, opts) else {
        return;
    };
    let Some(key) = PropertyType::Name.node_id(&value) else {
        return;
    };
    let spelled = PropertyType::Name.clean(&hit.name, opts);
    let spelled_key = spelled
        .as_deref()
        .and_then(|s| PropertyType::Name.node_id(s));
    // The caption's key first, then the spelling the text matched, then a new tag.
    let slot = match index.get(&(prop, key.clone())) {
        Some(&i) => Some(i),
        None => spelled_key
            .and_then(|k| index.get(&(prop, k)).copied())
            .or_else(|| tag_slot(names, index, prop, key)),
    };
    let Some(i) = slot else {
        return;
    };
    let tag = &mut names[i];
    if tag.known.is_none() {
        if hit.entity.schema == "Company" {
            tag.companies += 1;
        } else if prop == COMPANIES {
            tag.organizations += 1;
        }
        tag.known = Some(hit.entity.clone());
    }
    if !tag.values.contains(&value) {
        tag.values.push(value);
    }
}

/// Add a value if the entity's schema has the property (not every `Analyzable` has all).
fn add_if(entity: &mut Entity, prop: &str, value: &str) -> Result<(), EntityError> {
    if entity.schema().property(prop).is_some() {
        entity.add(prop, value)?;
    }
    Ok(())
}

/// The `Mention` of a name in a document, identified as Aleph identifies it: the hash
/// of `mention`, the document id, the property's qualified name and the name's key, so
/// that analysing again gives the same id. `resolved` is the hash of the key alone, the
/// same for the same name in every document. Ids are not signed here: the caller applies
/// the collection's namespace ([`ftm::Namespace::apply`]) as Aleph does; the document id
/// is used as given (Aleph passes the signed one).
fn mention(
    doc_id: &str,
    tag: &NameTag,
    countries: &[String],
    emails: &[String],
    phones: &[String],
) -> Result<Entity, EntityError> {
    let mut mention = Entity::new(model().schema("Mention")?);
    let qname = format!("Analyzable:{}", tag.prop);
    mention.make_id(&["mention", doc_id, &qname, &tag.key]);
    let schema = if let Some(known) = &tag.known {
        known.schema.as_str()
    } else if tag.prop == PEOPLE {
        "Person"
    } else if tag.companies >= tag.organizations {
        "Company"
    } else {
        "Organization"
    };
    // A name the gazetteer knows resolves to that entity (its stored, signed id, which
    // the caller keeps as it is); any other to the hash of its key.
    if let Some(known) = &tag.known {
        mention.add("resolved", &known.id)?;
    } else if let Some(resolved) = ftm::make_id(None, &[tag.key.as_str()]) {
        mention.add("resolved", &resolved)?;
    }
    mention.add("document", doc_id)?;
    mention.add_all("name", &tag.values)?;
    mention.add("detectedSchema", schema)?;
    mention.add_all("contextCountry", countries)?;
    mention.add_all("contextEmail", emails.iter().take(MAX_CONTEXT_VALUES))?;
    mention.add_all("contextPhone", phones.iter().take(MAX_CONTEXT_VALUES))?;
    Ok(mention)
}
