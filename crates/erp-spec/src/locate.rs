//! Finding where a key path (`resources.widgets.operations.list.colour`) is written in a YAML
//! text, for keys the parser collected instead of rejecting: serde reports their path only.

/// Where a key is written, and the path as written in the text.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Found {
    /// 1-based line and column of the last segment found.
    pub line: u64,
    pub column: u64,
    /// The segments that were found in the text, in order.
    pub written: Vec<String>,
}

/// Finds the last segment of `path`, or the deepest segment found. Segments that are not in
/// the text are skipped: serde's paths contain steps the YAML does not (the `value` of a
/// `Spanned` wrapper).
pub(crate) fn key(text: &str, path: &[String]) -> Found {
    let lines: Vec<&str> = text.lines().collect();
    let mut found = Found {
        line: 0,
        column: 0,
        written: Vec::new(),
    };
    // The block we search in: lines [start, end), keys indented deeper than `parent_indent`.
    let (mut start, mut end, mut parent_indent) = (0usize, lines.len(), -1isize);
    for segment in path {
        let hit = if let Some(index) = segment
            .strip_prefix('[')
            .and_then(|s| s.strip_suffix(']'))
            .and_then(|s| s.parse::<usize>().ok())
        {
            nth_item(&lines, start, end, parent_indent, index)
        } else {
            // A flow mapping may sit on the parent's own line: `name: {type: string, size: 3}`.
            block_key(&lines, start, end, parent_indent, segment)
                .or_else(|| flow_key(&lines, start.saturating_sub(1), end, segment))
        };
        let Some((line, column, indent)) = hit else {
            continue;
        };
        found.line = (line + 1) as u64;
        found.column = (column + 1) as u64;
        found.written.push(segment.clone());
        start = line + 1;
        end = block_end(&lines, start, indent);
        parent_indent = indent as isize;
    }
    found
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

fn is_content(line: &str) -> bool {
    let t = line.trim_start();
    !t.is_empty() && !t.starts_with('#')
}

/// The first line after `start` indented no deeper than `indent`.
fn block_end(lines: &[&str], start: usize, indent: usize) -> usize {
    (start..lines.len())
        .find(|&i| is_content(lines[i]) && indent_of(lines[i]) <= indent)
        .unwrap_or(lines.len())
}

fn unquote(key: &str) -> &str {
    key.trim().trim_matches(|c| c == '"' || c == '\'')
}

/// `key:` at the start of a line (or after `- `) in the block: (line, column, indent).
fn block_key(
    lines: &[&str],
    start: usize,
    end: usize,
    parent: isize,
    key: &str,
) -> Option<(usize, usize, usize)> {
    (start..end).find_map(|i| {
        let line = lines[i];
        let indent = indent_of(line);
        if !is_content(line) || indent as isize <= parent {
            return None;
        }
        let rest = line.trim_start();
        let (rest, extra) = match rest.strip_prefix("- ") {
            Some(r) => (r, 2),
            None => (rest, 0),
        };
        let (name, _) = rest.split_once(':')?;
        (unquote(name) == key).then_some((i, indent + extra, indent + extra))
    })
}

/// `key:` inside a flow mapping (`{type: string, colour: red}`) within the block.
fn flow_key(lines: &[&str], start: usize, end: usize, key: &str) -> Option<(usize, usize, usize)> {
    (start..end).find_map(|i| {
        let line = lines[i];
        let bytes = line.as_bytes();
        let mut from = 0;
        while let Some(pos) = line[from..].find(key) {
            let at = from + pos;
            let before = line[..at].trim_end();
            let after = &line[at + key.len()..];
            if (before.ends_with('{') || before.ends_with(','))
                && after.trim_start().starts_with(':')
            {
                return Some((i, at, indent_of(line)));
            }
            from = at + key.len().max(1);
            if from >= bytes.len() {
                break;
            }
        }
        None
    })
}

/// The `index`-th `- ` item of a sequence in the block.
fn nth_item(
    lines: &[&str],
    start: usize,
    end: usize,
    parent: isize,
    index: usize,
) -> Option<(usize, usize, usize)> {
    (start..end)
        .filter(|&i| {
            is_content(lines[i])
                && indent_of(lines[i]) as isize > parent
                && lines[i].trim_start().starts_with("- ")
        })
        .nth(index)
        .map(|i| (i, indent_of(lines[i]), indent_of(lines[i]) + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(p: &str) -> Vec<String> {
        p.split('.').map(str::to_owned).collect()
    }

    const YAML: &str = "vendor:\n  name: x\n  colour: blue\nresources:\n  widgets:\n    operations:\n      list:\n        doc: d\n        query:\n          name: {type: string, size: 3}\nauth:\n  headers:\n    - name: A\n      param: a\n    - name: B\n      shade: c\n";

    fn at(text: &str, p: &[String]) -> (u64, u64) {
        let found = key(text, p);
        (found.line, found.column)
    }

    #[test]
    fn finds_block_flow_and_sequence_keys() {
        assert_eq!(at(YAML, &path("vendor.colour")), (3, 3));
        assert_eq!(
            at(
                YAML,
                &path("resources.widgets.operations.list.query.name.size")
            ),
            (10, 32)
        );
        assert_eq!(
            at(
                YAML,
                &[
                    "auth".into(),
                    "headers".into(),
                    "[1]".into(),
                    "shade".into()
                ]
            ),
            (16, 7)
        );
    }

    #[test]
    fn steps_missing_from_the_text_are_skipped() {
        let found = key(YAML, &path("vendor.value.colour"));
        assert_eq!((found.line, found.column), (3, 3));
        assert_eq!(found.written, path("vendor.colour"));
        assert_eq!(at(YAML, &path("vendor.nothing")), (1, 1));
    }
}
