//! Edit distance between ASCII tokens, without allocating.
//!
//! Tokens are short (names rarely exceed 20 letters), so the dynamic programme runs on
//! three stack rows; longer tokens are compared on their first [`MAX_LEN`] bytes, which
//! is enough to tell a typo from a different word.

/// Tokens are compared on at most this many bytes.
pub(crate) const MAX_LEN: usize = 40;

/// Optimal-string-alignment distance (Levenshtein plus adjacent transpositions) between
/// two byte strings, or `None` as soon as it must exceed `limit`.
pub(crate) fn osa_distance(a: &[u8], b: &[u8], limit: usize) -> Option<usize> {
    let a = &a[..a.len().min(MAX_LEN)];
    let b = &b[..b.len().min(MAX_LEN)];
    if a.len().abs_diff(b.len()) > limit {
        return None;
    }
    if a.is_empty() || b.is_empty() {
        let d = a.len().max(b.len());
        return (d <= limit).then_some(d);
    }
    let n = b.len();
    let mut before = [0usize; MAX_LEN + 1];
    let mut previous = [0usize; MAX_LEN + 1];
    let mut current = [0usize; MAX_LEN + 1];
    for (j, cell) in previous.iter_mut().enumerate().take(n + 1) {
        *cell = j;
    }
    for i in 1..=a.len() {
        current[0] = i;
        let mut row_min = i;
        for j in 1..=n {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (previous[j] + 1)
                .min(current[j - 1] + 1)
                .min(previous[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(before[j - 2] + 1);
            }
            current[j] = d;
            row_min = row_min.min(d);
        }
        if row_min > limit {
            return None;
        }
        before[..=n].copy_from_slice(&previous[..=n]);
        previous[..=n].copy_from_slice(&current[..=n]);
    }
    let d = previous[n];
    (d <= limit).then_some(d)
}

#[cfg(test)]
mod tests {
    use super::osa_distance;

    #[test]
    fn agrees_with_strsim() {
        let words = [
            "",
            "a",
            "ab",
            "ba",
            "smith",
            "smyth",
            "smiht",
            "aleksandr",
            "alexander",
            "oleksandr",
            "ivanov",
            "ivanow",
            "petrov",
            "jonh",
            "john",
            "kitten",
            "sitting",
        ];
        for a in words {
            for b in words {
                let expected = strsim::osa_distance(a, b);
                assert_eq!(osa_distance(a.as_bytes(), b.as_bytes(), 99), Some(expected));
                for limit in 0..4 {
                    let bounded = osa_distance(a.as_bytes(), b.as_bytes(), limit);
                    assert_eq!(bounded, (expected <= limit).then_some(expected), "{a} {b}");
                }
            }
        }
    }
}
