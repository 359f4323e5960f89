//! Pairwise scoring with an explanation.
//!
//! Every piece of evidence is a [`Feature`] that adds its `contribution` to a log-odds
//! sum, starting from [`Weights::bias`]; the score is the logistic function of the sum.
//! So features combine the way independent evidence should (an equal LEI outweighs a
//! so-so name; a different birth year sinks a perfect name), and each one's share of
//! the decision is visible: the explanation is the list of contributions.

use serde::Serialize;

use crate::Prepared;
use crate::dates::{DateRelation, compare_dates};
use crate::identifiers::{Strength, compare_identifiers};
use crate::names::best_name_pair;
use crate::prepared::DateKind;

/// Identifies the scoring method in stored results, so old scores can be told from new.
pub const METHOD: &str = "xref-v2";

/// The weight of every feature, in log-odds units. Positive weights are evidence for a
/// match, negative ones against it.
#[derive(Debug, Clone, Serialize)]
pub struct Weights {
    /// The log-odds before any evidence.
    pub bias: f64,
    /// Log-odds per unit of name similarity away from [`Weights::name_pivot`].
    pub name: f64,
    /// The name similarity that is neither evidence for nor against a match.
    pub name_pivot: f64,
    /// The most a dissimilar name can count against a match (other evidence, such as
    /// an equal identifier, may still win).
    pub name_floor: f64,
    pub legal_form_match: f64,
    pub legal_form_mismatch: f64,
    pub identifier_match_global: f64,
    pub identifier_match_registry: f64,
    pub identifier_match_weak: f64,
    pub identifier_conflict_global: f64,
    pub identifier_conflict_registry: f64,
    pub email_match: f64,
    pub phone_match: f64,
    pub country_match: f64,
    pub country_mismatch: f64,
    /// Two registered entities in different jurisdictions: companies of the same name
    /// abroad are usually other companies (replaces `country_mismatch`).
    pub jurisdiction_mismatch: f64,
    pub date_exact: f64,
    pub date_same_month: f64,
    pub date_swapped: f64,
    pub date_same_year: f64,
    pub date_day_conflict: f64,
    pub date_near_year: f64,
    pub date_year_conflict: f64,
    pub gender_mismatch: f64,
    pub address_match: f64,
}

impl Default for Weights {
    fn default() -> Self {
        Weights {
            bias: -0.5,
            name: 14.0,
            name_pivot: 0.85,
            name_floor: -6.0,
            legal_form_match: 0.3,
            legal_form_mismatch: -0.6,
            identifier_match_global: 6.0,
            identifier_match_registry: 4.0,
            identifier_match_weak: 2.5,
            identifier_conflict_global: -4.0,
            identifier_conflict_registry: -2.5,
            email_match: 4.0,
            phone_match: 2.5,
            country_match: 0.5,
            country_mismatch: -1.2,
            jurisdiction_mismatch: -2.5,
            date_exact: 2.5,
            date_same_month: 1.5,
            date_swapped: 1.5,
            date_same_year: 0.7,
            date_day_conflict: -2.5,
            date_near_year: -2.0,
            date_year_conflict: -3.5,
            gender_mismatch: -2.5,
            address_match: 1.5,
        }
    }
}

/// One piece of evidence.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Feature {
    /// What was found: `name`, `identifier_match`, `date_swapped`, `country_mismatch`…
    pub name: &'static str,
    /// The measurement in [0, 1]: a similarity or a share; 1 for a yes/no finding.
    pub value: f64,
    /// The configured weight (see [`Weights`]).
    pub weight: f64,
    /// What the feature added to the log-odds.
    pub contribution: f64,
    /// The values involved, for people reading the explanation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// A scored pair with its explanation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Match {
    /// The probability-like score in [0, 1].
    pub score: f64,
    /// The log-odds before evidence; `score = logistic(bias + Σ contribution)`.
    pub bias: f64,
    pub features: Vec<Feature>,
    pub method: &'static str,
}

impl Match {
    /// The feature of the given name, if it took part.
    pub fn feature(&self, name: &str) -> Option<&Feature> {
        self.features.iter().find(|f| f.name == name)
    }

    /// A readable account of the score, one line per feature.
    pub fn explain(&self) -> String {
        let mut out = format!("score {:.3} (bias {:+.2})", self.score, self.bias);
        for f in &self.features {
            out.push_str(&format!(
                "\n  {:<28} value {:.2} weight {:+.2} -> {:+.2}",
                f.name, f.value, f.weight, f.contribution
            ));
            if let Some(detail) = &f.detail {
                out.push_str(&format!("  [{detail}]"));
            }
        }
        out
    }
}

/// Scores pairs of entities.
#[derive(Debug, Clone, Default)]
pub struct Matcher {
    weights: Weights,
}

impl Matcher {
    pub fn new() -> Matcher {
        Matcher::default()
    }

    pub fn with_weights(weights: Weights) -> Matcher {
        Matcher { weights }
    }

    pub fn weights(&self) -> &Weights {
        &self.weights
    }

    /// Prepare and score two entities; `None` when their schemata cannot match (a
    /// Person and a Company, or a schema that is not matchable). Preparing dominates
    /// the cost: to score one entity against many, prepare it once and use
    /// [`Matcher::score_prepared`].
    pub fn score(&self, left: &ftm::Entity, right: &ftm::Entity) -> Option<Match> {
        if !left.schema().can_match(right.schema()) {
            return None;
        }
        self.score_prepared(&Prepared::new(left), &Prepared::new(right))
    }

    /// Score two prepared entities; `None` when their schemata cannot match.
    pub fn score_prepared(&self, left: &Prepared, right: &Prepared) -> Option<Match> {
        if !left.schema.can_match(right.schema) {
            return None;
        }
        let mut features = Explained(Vec::with_capacity(6));
        self.evaluate(left, right, &mut features);
        let features = features.0;
        let score = if features.is_empty() {
            0.0
        } else {
            logistic(self.weights.bias + features.iter().map(|f| f.contribution).sum::<f64>())
        };
        Some(Match {
            score,
            bias: self.weights.bias,
            features,
            method: METHOD,
        })
    }

    /// The score of [`Matcher::score_prepared`] without its explanation, several times
    /// faster (no text is formatted): for a run that scores many candidates and keeps
    /// the explanations of the few it stores. Both come from the same evaluation, so
    /// the numbers are identical.
    pub fn score_value(&self, left: &Prepared, right: &Prepared) -> Option<f64> {
        if !left.schema.can_match(right.schema) {
            return None;
        }
        let mut sum = Summed {
            count: 0,
            total: 0.0,
        };
        self.evaluate(left, right, &mut sum);
        Some(if sum.count == 0 {
            0.0
        } else {
            logistic(self.weights.bias + sum.total)
        })
    }

    /// Find every feature of the pair and hand it to `out`. Details are closures so
    /// that a caller that only sums never formats them.
    fn evaluate(&self, left: &Prepared, right: &Prepared, out: &mut impl Sink) {
        let w = &self.weights;

        if let Some((score, i, j)) = best_name_pair(&left.names, &right.names) {
            let similarity = score.similarity;
            let raw = w.name * (similarity - w.name_pivot);
            let contribution = if raw > 0.0 {
                // Short matched names ("Li", "Acme") are shared by chance more often.
                let specificity = ((score.matched_chars as f64 + 6.0) / 14.0).clamp(0.5, 1.0);
                raw * specificity
            } else {
                raw.max(w.name_floor)
            };
            out.add("name", similarity, w.name, contribution, || {
                Some(format!(
                    "{} ~ {}",
                    left.names[i].original, right.names[j].original
                ))
            });
        }

        let (lf, rf) = (&left.legal_forms, &right.legal_forms);
        if !lf.is_empty() && !rf.is_empty() {
            if lf.iter().any(|f| rf.contains(f)) {
                let weight = w.legal_form_match;
                out.add("legal_form_match", 1.0, weight, weight, || None);
            } else {
                let weight = w.legal_form_mismatch;
                out.add("legal_form_mismatch", 1.0, weight, weight, || {
                    Some(format!("{} vs {}", lf[0].canonical(), rf[0].canonical()))
                });
            }
        }

        if !left.identifiers.is_empty() && !right.identifiers.is_empty() {
            let ids = compare_identifiers(&left.identifiers, &right.identifiers);
            if let Some((a, b)) = ids.shared {
                let (name, weight) = match a.strength.min(b.strength) {
                    Strength::Global if a.kind == b.kind => {
                        ("identifier_match_global", w.identifier_match_global)
                    }
                    Strength::Weak => ("identifier_match_weak", w.identifier_match_weak),
                    _ => ("identifier_match", w.identifier_match_registry),
                };
                let value = a.specificity();
                out.add(name, value, weight, weight * value, || {
                    Some(format!("{} {} = {} {}", a.kind, a.value, b.kind, b.value))
                });
            }
            if let Some((a, b)) = ids.conflict {
                // A registry number conflicts only with one from the same registry:
                // entities placed in different countries may carry two unrelated numbers.
                let (name, weight, value) = match a.strength {
                    Strength::Global => (
                        "identifier_conflict_global",
                        w.identifier_conflict_global,
                        1.0,
                    ),
                    _ => {
                        let value = if left.countries.is_empty() || right.countries.is_empty() {
                            0.5
                        } else if overlaps(&left.countries, &right.countries) {
                            1.0
                        } else {
                            0.0
                        };
                        ("identifier_conflict", w.identifier_conflict_registry, value)
                    }
                };
                if value > 0.0 {
                    out.add(name, value, weight, weight * value, || {
                        Some(format!("{} {} vs {}", a.kind, a.value, b.value))
                    });
                }
            }
        }

        if let Some(email) = first_shared(&left.emails, &right.emails) {
            let weight = w.email_match;
            out.add("email_match", 1.0, weight, weight, || {
                Some(email.to_owned())
            });
        }
        if let Some(phone) = first_shared(&left.phones, &right.phones) {
            let weight = w.phone_match;
            out.add("phone_match", 1.0, weight, weight, || {
                Some(phone.to_owned())
            });
        }

        let jurisdiction_conflict = !left.jurisdictions.is_empty()
            && !right.jurisdictions.is_empty()
            && !overlaps(&left.jurisdictions, &right.jurisdictions)
            && !left.context_countries
            && !right.context_countries;
        if jurisdiction_conflict {
            let weight = w.jurisdiction_mismatch;
            out.add("jurisdiction_mismatch", 1.0, weight, weight, || {
                Some(format!(
                    "{} vs {}",
                    left.jurisdictions.join(","),
                    right.jurisdictions.join(",")
                ))
            });
        } else if !left.countries.is_empty() && !right.countries.is_empty() {
            if let Some(code) = first_shared(&left.countries, &right.countries) {
                let weight = w.country_match;
                out.add("country_match", 1.0, weight, weight, || {
                    Some(code.to_owned())
                });
            } else if !left.context_countries && !right.context_countries {
                let weight = w.country_mismatch;
                out.add("country_mismatch", 1.0, weight, weight, || {
                    Some(format!(
                        "{} vs {}",
                        left.countries.join(","),
                        right.countries.join(",")
                    ))
                });
            }
        }

        for kind in [DateKind::Birth, DateKind::Incorporation] {
            let Some(relation) = compare_dates(left.dates(kind), right.dates(kind)) else {
                continue;
            };
            let (name, weight) = match relation {
                DateRelation::Exact => ("date_exact", w.date_exact),
                DateRelation::SameMonth => ("date_same_month", w.date_same_month),
                DateRelation::Swapped => ("date_swapped", w.date_swapped),
                DateRelation::SameYear => ("date_same_year", w.date_same_year),
                DateRelation::DayConflict => ("date_day_conflict", w.date_day_conflict),
                DateRelation::NearYear => ("date_near_year", w.date_near_year),
                DateRelation::YearConflict => ("date_year_conflict", w.date_year_conflict),
            };
            out.add(name, 1.0, weight, weight, || {
                Some(kind.property().to_owned())
            });
        }

        if let (Some(a), Some(b)) = (&left.gender, &right.gender)
            && a != b
            && a != "other"
            && b != "other"
        {
            let weight = w.gender_mismatch;
            out.add("gender_mismatch", 1.0, weight, weight, || {
                Some(format!("{a} vs {b}"))
            });
        }

        if !left.addresses.is_empty() && !right.addresses.is_empty() {
            let address = best_address_overlap(&left.addresses, &right.addresses);
            if address >= 0.7 {
                let weight = w.address_match;
                out.add("address_match", address, weight, weight * address, || None);
            }
        }
    }
}

fn logistic(logit: f64) -> f64 {
    1.0 / (1.0 + (-logit).exp())
}

/// Where [`Matcher::evaluate`] puts the features it finds.
trait Sink {
    fn add(
        &mut self,
        name: &'static str,
        value: f64,
        weight: f64,
        contribution: f64,
        detail: impl FnOnce() -> Option<String>,
    );
}

/// Keeps every feature with its detail, for [`Match`].
struct Explained(Vec<Feature>);

impl Sink for Explained {
    fn add(
        &mut self,
        name: &'static str,
        value: f64,
        weight: f64,
        contribution: f64,
        detail: impl FnOnce() -> Option<String>,
    ) {
        self.0.push(Feature {
            name,
            value,
            weight,
            contribution,
            detail: detail(),
        });
    }
}

/// Only sums the contributions, in the same order as [`Explained`] lists them (so the
/// floating-point sum is the same).
struct Summed {
    count: usize,
    total: f64,
}

impl Sink for Summed {
    fn add(
        &mut self,
        _name: &'static str,
        _value: f64,
        _weight: f64,
        contribution: f64,
        _detail: impl FnOnce() -> Option<String>,
    ) {
        self.count += 1;
        self.total += contribution;
    }
}

/// The first value in both sorted lists.
fn first_shared<'a>(a: &'a [String], b: &[String]) -> Option<&'a str> {
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => return Some(&a[i]),
        }
    }
    None
}

fn overlaps(a: &[String], b: &[String]) -> bool {
    first_shared(a, b).is_some()
}

/// The best Jaccard overlap between any two addresses' token sets.
fn best_address_overlap(a: &[Vec<String>], b: &[Vec<String>]) -> f64 {
    let mut best = 0.0f64;
    for x in a {
        for y in b {
            let (mut i, mut j, mut common) = (0, 0, 0usize);
            while i < x.len() && j < y.len() {
                match x[i].cmp(&y[j]) {
                    std::cmp::Ordering::Less => i += 1,
                    std::cmp::Ordering::Greater => j += 1,
                    std::cmp::Ordering::Equal => {
                        common += 1;
                        i += 1;
                        j += 1;
                    }
                }
            }
            let union = x.len() + y.len() - common;
            if union > 0 {
                best = best.max(common as f64 / union as f64);
            }
        }
    }
    best
}
