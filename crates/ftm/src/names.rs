//! Choosing the display name among several names of one entity.
//!
//! FtM delegates this to rigour's compiled `pick_name`, whose exact rules are not published
//! as source. Ours follows the same idea: prefer Latin-script names, then the name most
//! similar to all the others (the centroid), then the nicest capitalisation. Differences
//! with rigour on ties are listed in `docs/ftm-differences.md`.

/// The most representative of `names`, or `None` if there is none.
pub fn pick_name(names: &[String]) -> Option<&str> {
    let mut candidates: Vec<(&str, String, f64)> = names
        .iter()
        .filter_map(|n| {
            let form = normal_form(n);
            (!form.is_empty()).then(|| (n.as_str(), form, 1.0 + latin_share(n)))
        })
        .collect();
    if candidates.is_empty() {
        return None;
    }
    candidates.sort_by(|a, b| a.0.cmp(b.0));
    let latin: Vec<&str> = candidates
        .iter()
        .filter(|c| c.2 > 1.9)
        .map(|c| c.0)
        .collect();
    if latin.len() == 1 {
        return Some(latin[0]);
    }
    // Every name votes with its own form and its ASCII transliteration, so that a name
    // written in two scripts counts twice for its Latin spelling.
    let voters: Vec<(String, f64)> = candidates
        .iter()
        .flat_map(|(_, form, w)| [(form.clone(), *w), (any_ascii::any_ascii(form), *w)])
        .collect();
    let mut best: Option<(&str, f64)> = None;
    for (_, form, _) in &candidates {
        let score: f64 = voters
            .iter()
            .map(|(other, w)| w * strsim::normalized_levenshtein(form, other))
            .sum();
        if best.is_none_or(|(_, s)| score > s + 1e-9) {
            best = Some((form.as_str(), score));
        }
    }
    let (form, _) = best?;
    let same: Vec<&str> = candidates
        .iter()
        .filter(|c| c.1 == form)
        .map(|c| c.0)
        .collect();
    pick_case(&same)
}

/// Among spellings of one name that differ in case, prefer mixed case over all capitals
/// or all lower case.
fn pick_case<'a>(names: &[&'a str]) -> Option<&'a str> {
    let score = |n: &str| {
        let upper = n.chars().filter(|c| c.is_uppercase()).count();
        let letters = n.chars().filter(|c| c.is_alphabetic()).count().max(1);
        // Best near "Title Case": some capitals, but not all of them.
        let share = upper as f64 / letters as f64;
        if upper == 0 { 1.0 } else { share }
    };
    names
        .iter()
        .copied()
        .min_by(|a, b| score(a).total_cmp(&score(b)).then_with(|| a.cmp(b)))
}

/// Lower case, punctuation dropped, words sorted: "PUTIN, Vladimir" and "Vladimir Putin"
/// are one name written two ways.
fn normal_form(name: &str) -> String {
    let lowered: String = name
        .chars()
        .flat_map(char::to_lowercase)
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    let mut words: Vec<&str> = lowered.split_whitespace().collect();
    words.sort_unstable();
    words.join(" ")
}

/// The share of letters that are Latin script.
fn latin_share(name: &str) -> f64 {
    let letters: Vec<char> = name.chars().filter(|c| c.is_alphabetic()).collect();
    if letters.is_empty() {
        return 0.0;
    }
    let latin = letters
        .iter()
        .filter(|c| (**c as u32) < 0x250 || (0x1E00..0x1F00).contains(&(**c as u32)))
        .count();
    latin as f64 / letters.len() as f64
}

#[cfg(test)]
mod tests {
    use super::pick_name;

    fn pick(names: &[&str]) -> Option<String> {
        let owned: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        pick_name(&owned).map(str::to_string)
    }

    #[test]
    fn picks_like_rigour_on_common_cases() {
        assert_eq!(
            pick(&[
                "Vladimir Putin",
                "Владимир Путин",
                "PUTIN, Vladimir",
                "Vladimir Vladimirovich Putin"
            ])
            .as_deref(),
            Some("Vladimir Putin")
        );
        assert_eq!(
            pick(&["ACME LTD", "Acme Ltd", "acme ltd"]).as_deref(),
            Some("Acme Ltd")
        );
        assert_eq!(pick(&["x", "xx", "xxx"]).as_deref(), Some("xx"));
        assert_eq!(pick(&["Ivan", "Иван"]).as_deref(), Some("Ivan"));
        assert_eq!(pick(&["b", "a"]).as_deref(), Some("a"));
        assert_eq!(
            pick(&["Angela Merkel", "Angela Dorothea Merkel", "Merkel"]).as_deref(),
            Some("Angela Merkel")
        );
        assert_eq!(pick(&["", "  "]), None);
    }
}
