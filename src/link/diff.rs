//! A unified diff of two texts, for `mcpd link --dry-run`. Lines shared at both ends are trimmed
//! first, so the quadratic part only sees the region that changed; a changed region too large for
//! it is shown as removed and added whole.

/// Lines of context around each change.
const CONTEXT: usize = 2;
/// The largest changed region (lines of each side) compared line by line.
const MAX_REGION: usize = 2000;

/// `--- a` / `+++ b` and hunks; empty when the texts are equal.
pub fn unified(old: &str, new: &str, old_name: &str, new_name: &str) -> String {
    if old == new {
        return String::new();
    }
    let a: Vec<&str> = old.split_inclusive('\n').collect();
    let b: Vec<&str> = new.split_inclusive('\n').collect();
    let ops = ops(&a, &b);
    let mut out = format!("--- {old_name}\n+++ {new_name}\n");
    // Group the ops into hunks: changes with up to 2*CONTEXT equal lines between them.
    let changed: Vec<usize> = (0..ops.len()).filter(|&i| ops[i].0 != ' ').collect();
    let mut i = 0;
    while i < changed.len() {
        let first = changed[i];
        let mut last = first;
        while i + 1 < changed.len() && changed[i + 1] - last <= 2 * CONTEXT + 1 {
            i += 1;
            last = changed[i];
        }
        i += 1;
        let from = first.saturating_sub(CONTEXT);
        let to = (last + CONTEXT + 1).min(ops.len());
        let (mut a_start, mut b_start) = (1, 1);
        for op in &ops[..from] {
            a_start += usize::from(op.0 != '+');
            b_start += usize::from(op.0 != '-');
        }
        let a_len = ops[from..to].iter().filter(|o| o.0 != '+').count();
        let b_len = ops[from..to].iter().filter(|o| o.0 != '-').count();
        out.push_str(&format!("@@ -{a_start},{a_len} +{b_start},{b_len} @@\n"));
        for (tag, line) in &ops[from..to] {
            out.push(*tag);
            out.push_str(line);
            if !line.ends_with('\n') {
                out.push_str("\n\\ No newline at end of file\n");
            }
        }
    }
    out
}

/// The edit script: (' ' | '-' | '+', line).
fn ops<'a>(a: &[&'a str], b: &[&'a str]) -> Vec<(char, &'a str)> {
    let pre = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let suf = a[pre..]
        .iter()
        .rev()
        .zip(b[pre..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (ma, mb) = (&a[pre..a.len() - suf], &b[pre..b.len() - suf]);
    let mut out: Vec<(char, &str)> = a[..pre].iter().map(|l| (' ', *l)).collect();
    if ma.len() > MAX_REGION || mb.len() > MAX_REGION {
        out.extend(ma.iter().map(|l| ('-', *l)));
        out.extend(mb.iter().map(|l| ('+', *l)));
    } else {
        // Longest common subsequence, then walk it.
        let (n, m) = (ma.len(), mb.len());
        let mut lcs = vec![vec![0u32; m + 1]; n + 1];
        for i in (0..n).rev() {
            for j in (0..m).rev() {
                lcs[i][j] = if ma[i] == mb[j] {
                    lcs[i + 1][j + 1] + 1
                } else {
                    lcs[i + 1][j].max(lcs[i][j + 1])
                };
            }
        }
        let (mut i, mut j) = (0, 0);
        while i < n || j < m {
            if i < n && j < m && ma[i] == mb[j] {
                out.push((' ', ma[i]));
                i += 1;
                j += 1;
            } else if i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1]) {
                out.push(('-', ma[i]));
                i += 1;
            } else {
                out.push(('+', mb[j]));
                j += 1;
            }
        }
    }
    out.extend(a[a.len() - suf..].iter().map(|l| (' ', *l)));
    out
}

#[cfg(test)]
mod tests {
    use super::unified;

    #[test]
    fn one_changed_line_with_context() {
        let old = "a\nb\nc\nd\ne\nf\ng\n";
        let new = "a\nb\nc\nD\ne\nf\ng\n";
        assert_eq!(
            unified(old, new, "x", "y"),
            "--- x\n+++ y\n@@ -2,5 +2,5 @@\n b\n c\n-d\n+D\n e\n f\n"
        );
        assert_eq!(unified(old, old, "x", "y"), "");
    }

    #[test]
    fn distant_changes_make_two_hunks_and_insertions_count() {
        let old: String = (0..20).map(|i| format!("{i}\n")).collect();
        let new: String = (0..20)
            .map(|i| match i {
                3 => "three\n".to_owned(),
                15 => "15\nnew\n".to_owned(),
                i => format!("{i}\n"),
            })
            .collect();
        let d = unified(&old, &new, "x", "y");
        assert_eq!(d.matches("@@ -").count(), 2, "{d}");
        assert!(d.contains("@@ -15,4 +15,5 @@"), "{d}");
        assert!(d.contains("+new\n"), "{d}");
    }
}
