//! An entity reduced once to what matching looks at, so that scoring a pair is cheap.

use ftm::{Entity, PropertyType, Schema, model};

use crate::blocking::{Key, KeyKind};
use crate::dates::PartialDate;
use crate::identifiers::Identifier;
use crate::names::{NameForm, NameStyle, TokenClass};
use crate::normalize::tokenize;
use crate::vocabulary::LegalForm;

/// At most this many distinct names of one entity are compared (aliases beyond that add
/// cost, rarely evidence).
const MAX_NAMES: usize = 24;

/// How an entity's values are to be read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PrepareOptions {
    /// The countries are context (countries mentioned near a name in a document), not
    /// facts about the entity: they count when they agree, not when they differ. Set
    /// for the pseudo-entities folded from mentions.
    pub context_countries: bool,
}

/// Which of two dates an entity has: they are compared kind with kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DateKind {
    Birth,
    Incorporation,
}

impl DateKind {
    pub fn property(self) -> &'static str {
        match self {
            DateKind::Birth => "birthDate",
            DateKind::Incorporation => "incorporationDate",
        }
    }
}

impl Prepared {
    pub(crate) fn dates(&self, kind: DateKind) -> &[PartialDate] {
        match kind {
            DateKind::Birth => &self.birth_dates,
            DateKind::Incorporation => &self.incorporation_dates,
        }
    }
}

/// An entity prepared for matching: normalised names with tokens and phonetic keys,
/// identifiers by kind, contacts, countries, dates and gender.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub(crate) id: Option<String>,
    pub(crate) schema: &'static Schema,
    pub(crate) names: Vec<NameForm>,
    /// The legal forms named in any of the names, sorted and distinct.
    pub(crate) legal_forms: Vec<LegalForm>,
    pub(crate) identifiers: Vec<Identifier>,
    pub(crate) emails: Vec<String>,
    pub(crate) phones: Vec<String>,
    /// Country codes reduced to their sovereign part ("gb-sct" → "gb"), sorted.
    pub(crate) countries: Vec<String>,
    /// The subset of `countries` that are a registered entity's jurisdiction, which it
    /// has exactly one of (a person's nationalities, or an address, can be many).
    pub(crate) jurisdictions: Vec<String>,
    pub(crate) context_countries: bool,
    pub(crate) birth_dates: Vec<PartialDate>,
    pub(crate) incorporation_dates: Vec<PartialDate>,
    pub(crate) gender: Option<String>,
    /// Each address as its sorted, de-duplicated tokens.
    pub(crate) addresses: Vec<Vec<String>>,
}

impl Prepared {
    /// Prepare an entity whose values are facts about it.
    pub fn new(entity: &Entity) -> Prepared {
        Prepared::with_options(entity, PrepareOptions::default())
    }

    pub fn with_options(entity: &Entity, options: PrepareOptions) -> Prepared {
        let schema = entity.schema();
        let style = name_style(schema);
        let mut names: Vec<NameForm> = Vec::new();
        for (prop, value) in entity.values() {
            if prop.type_() == PropertyType::Name && prop.matchable() {
                add_name(&mut names, value, style);
            }
        }
        if names.is_empty() && style.person {
            // A person known only by name parts.
            let parts: Vec<&str> = [
                "firstName",
                "secondName",
                "middleName",
                "fatherName",
                "lastName",
            ]
            .iter()
            .filter_map(|p| entity.first(p))
            .collect();
            if !parts.is_empty() {
                add_name(&mut names, &parts.join(" "), style);
            }
        }
        if names.is_empty() && schema.is_a_name("Address") {
            for value in entity.get("full") {
                add_name(&mut names, value, style);
            }
        }

        let mut identifiers: Vec<Identifier> = Vec::new();
        let mut emails = Vec::new();
        let mut phones = Vec::new();
        let mut countries = Vec::new();
        let mut jurisdictions = Vec::new();
        let mut birth_dates = Vec::new();
        let mut incorporation_dates = Vec::new();
        let mut addresses = Vec::new();
        for (prop, value) in entity.values() {
            if !prop.matchable() {
                continue;
            }
            match prop.type_() {
                PropertyType::Identifier => {
                    if let Some(id) = Identifier::new(prop.name(), value)
                        && !identifiers.contains(&id)
                    {
                        identifiers.push(id);
                    }
                }
                PropertyType::Email => emails.push(value.to_lowercase()),
                PropertyType::Phone => phones.push(
                    value
                        .chars()
                        .filter(char::is_ascii_digit)
                        .collect::<String>(),
                ),
                PropertyType::Country => {
                    let code = value
                        .split('-')
                        .next()
                        .unwrap_or(value)
                        .to_ascii_lowercase();
                    if prop.name() == "jurisdiction" {
                        jurisdictions.push(code.clone());
                    }
                    countries.push(code);
                }
                PropertyType::Date => {
                    let list = match prop.name() {
                        "birthDate" => &mut birth_dates,
                        "incorporationDate" => &mut incorporation_dates,
                        _ => continue,
                    };
                    if let Some(date) = PartialDate::parse(value) {
                        list.push(date);
                    }
                }
                PropertyType::Address => {
                    let mut tokens = tokenize(value);
                    tokens.sort_unstable();
                    tokens.dedup();
                    if !tokens.is_empty() {
                        addresses.push(tokens);
                    }
                }
                _ => {}
            }
        }
        for list in [&mut emails, &mut phones, &mut countries, &mut jurisdictions] {
            list.retain(|v| !v.is_empty());
            list.sort_unstable();
            list.dedup();
        }
        phones.retain(|p| p.len() >= 7);
        let gender = entity.first("gender").map(str::to_owned);
        let mut legal_forms: Vec<LegalForm> = names
            .iter()
            .flat_map(|n| n.legal_forms.iter().copied())
            .collect();
        legal_forms.sort_unstable();
        legal_forms.dedup();
        Prepared {
            id: entity.id().map(str::to_owned),
            schema,
            names,
            legal_forms,
            identifiers,
            emails,
            phones,
            countries,
            jurisdictions,
            context_countries: options.context_countries,
            birth_dates,
            incorporation_dates,
            gender,
            addresses,
        }
    }

    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    pub fn schema(&self) -> &'static Schema {
        self.schema
    }

    /// Whether the entity has anything a candidate search can start from.
    pub fn is_matchable(&self) -> bool {
        self.schema.matchable()
            && (!self.names.is_empty() || !self.identifiers.is_empty() || !self.emails.is_empty())
    }

    /// The legal forms named in any of the entity's names.
    pub fn legal_forms(&self) -> Vec<LegalForm> {
        self.legal_forms.clone()
    }

    /// Candidate keys: two entities worth scoring share at least one. Plain strings with
    /// a kind prefix, usable with [`crate::Blocker`] in memory or as terms of a search
    /// index field.
    ///
    /// - `n:` a name token (not an initial, a generic business word or a particle);
    /// - `p:` the phonetic key of such a token (transliteration and typo variants);
    /// - `f:` a name's sorted-token fingerprint (whole-name equality, however common the
    ///   words);
    /// - `i:` an identifier, normalised, whatever its kind;
    /// - `e:` an e-mail address; `t:` a phone number.
    pub fn blocking_keys(&self) -> Vec<Key> {
        let mut keys = Vec::new();
        for name in &self.names {
            let words: Vec<_> = name
                .tokens
                .iter()
                .filter(|t| matches!(t.class, TokenClass::Word | TokenClass::Patronymic))
                .collect();
            for token in &words {
                if token.text.len() >= 2 {
                    keys.push(Key::new(KeyKind::Token, &token.text));
                }
                if token.key.len() >= 2 {
                    keys.push(Key::new(KeyKind::Phonetic, &token.key));
                }
            }
            for token in name.tokens.iter().filter(|t| t.class == TokenClass::Number) {
                if token.text.len() >= 3 {
                    keys.push(Key::new(KeyKind::Token, &token.text));
                }
            }
            if name.tokens.len() >= 2 {
                keys.push(Key::new(KeyKind::Fingerprint, &name.fingerprint));
            }
        }
        for id in &self.identifiers {
            keys.push(Key::new(KeyKind::Identifier, &id.value));
        }
        for email in &self.emails {
            keys.push(Key::new(KeyKind::Email, email));
        }
        for phone in &self.phones {
            keys.push(Key::new(KeyKind::Phone, phone));
        }
        keys.sort_unstable();
        keys.dedup();
        keys
    }
}

/// Add a name unless it is a spelling of one already there (same sorted tokens).
fn add_name(names: &mut Vec<NameForm>, raw: &str, style: NameStyle) {
    if names.len() >= MAX_NAMES {
        return;
    }
    if let Some(form) = NameForm::new(raw, style)
        && !names.iter().any(|n| n.fingerprint == form.fingerprint)
    {
        names.push(form);
    }
}

/// Which name rules apply to a schema: people, organisations, or both for a
/// `LegalEntity` (which may turn out to be either).
fn name_style(schema: &Schema) -> NameStyle {
    let m = model();
    let is = |name: &str| m.get(name).is_some_and(|s| schema.is_a(s));
    let person = is("Person");
    let organization = is("Organization");
    if !person && !organization && is("LegalEntity") {
        return NameStyle {
            person: true,
            organization: true,
        };
    }
    NameStyle {
        person,
        organization,
    }
}
