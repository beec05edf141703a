//! "Did you mean": the one nearness rule for mistyped names (sessions,
//! configuration keys), so that every suggestion is made the same way.

/// Levenshtein distance, in characters.
pub fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let replaced = diagonal + usize::from(ca != *cb);
            diagonal = row[j + 1];
            row[j + 1] = replaced.min(row[j] + 1).min(diagonal + 1);
        }
    }
    row[b.len()]
}

/// Whether CANDIDATE is near enough to TYPED to be what was meant: a typo or
/// two (a swap counts two), more for longer words, or TYPED cut short.
/// A far-off "nearest" name would only mislead.
pub fn is_near(typed: &str, candidate: &str) -> bool {
    let allowed = (typed.chars().count() / 3).max(2);
    distance(typed, candidate) <= allowed
        || (typed.chars().count() >= 3 && candidate.starts_with(typed))
}

/// The candidates near TYPED, nearest first, at most three.
pub fn closest<'a>(typed: &str, candidates: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let mut near: Vec<(usize, &str)> = candidates
        .into_iter()
        .filter(|c| *c != typed && is_near(typed, c))
        .map(|c| (distance(typed, c), c))
        .collect();
    near.sort();
    near.dedup();
    near.into_iter().take(3).map(|(_, c)| c).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_and_prefixes_are_near_and_strangers_are_not() {
        assert_eq!(distance("kitten", "sitting"), 3);
        assert!(is_near("setpu", "setup"));
        assert!(is_near("feat", "feature-login"));
        assert!(!is_near("colour", "copy"));
        assert!(!is_near("x", "y-long-name"));
        assert_eq!(
            closest("fetaure", ["feature", "fixture", "other", "feature"]),
            ["feature"]
        );
        assert!(closest("zzz", ["feature"]).is_empty());
    }
}
