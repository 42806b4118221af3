//! The key outline of a block-style YAML file, and additions to it that keep every other line
//! (comments, formatting, hand-written entries) exactly as it was.
//!
//! Only what spec files use is understood: block mappings with `key:` lines, flow mappings on
//! one line, `- ` sequences and folded or literal block scalars. An importer adds entries at
//! the end of a mapping; it never rewrites or removes a line.

/// One `key:` line and the lines of its value.
#[derive(Debug, Clone)]
struct Entry {
    key: String,
    indent: usize,
    /// Index of the key's line.
    line: usize,
    /// One past the last non-blank line of the value (the key's line when it has none below).
    end: usize,
    children: Vec<Entry>,
}

/// The outline of a YAML text.
#[derive(Debug)]
pub struct Outline {
    lines: Vec<String>,
    root: Vec<Entry>,
}

/// The key of a `key: ...` line (quotes removed), if the line is one.
fn key_of(line: &str) -> Option<&str> {
    let text = line.trim_start();
    if text.starts_with('#') || text.starts_with("- ") || text == "-" {
        return None;
    }
    let (key, rest) = if let Some(quoted) = text.strip_prefix('"') {
        let close = quoted.find('"')?;
        (&quoted[..close], &quoted[close + 1..])
    } else {
        let colon = text.find(':')?;
        (&text[..colon], &text[colon..])
    };
    let after = rest.strip_prefix(':')?;
    (after.is_empty() || after.starts_with([' ', '\t'])).then_some(key)
}

/// Whether a key line opens a block scalar (`>-`, `|`, ...): the lines below are text.
fn opens_block_scalar(line: &str) -> bool {
    let value = line.split_once(": ").map_or("", |(_, v)| v).trim();
    let value = value.split(" #").next().unwrap_or("").trim();
    matches!(value, ">" | ">-" | ">+" | "|" | "|-" | "|+")
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

fn blank(line: &str) -> bool {
    let t = line.trim();
    t.is_empty() || t.starts_with('#')
}

impl Outline {
    pub fn parse(text: &str) -> Outline {
        let lines: Vec<String> = text.lines().map(str::to_owned).collect();
        let mut flat: Vec<(usize, usize, String)> = Vec::new();
        let mut scalar_above: Option<usize> = None;
        for (i, line) in lines.iter().enumerate() {
            if blank(line) {
                continue;
            }
            let indent = indent_of(line);
            if let Some(above) = scalar_above {
                if indent > above {
                    continue;
                }
                scalar_above = None;
            }
            if let Some(key) = key_of(line) {
                flat.push((i, indent, key.to_owned()));
                if opens_block_scalar(line) {
                    scalar_above = Some(indent);
                }
            }
        }
        let mut pos = 0;
        let root = build(&lines, &flat, &mut pos, None);
        Outline { lines, root }
    }

    fn find(&self, path: &[&str]) -> Option<&Entry> {
        let mut level = &self.root;
        let mut found = None;
        for key in path {
            let entry = level.iter().find(|e| e.key == *key)?;
            level = &entry.children;
            found = Some(entry);
        }
        found
    }

    /// Whether the mapping at `path` exists.
    pub fn has(&self, path: &[&str]) -> bool {
        self.find(path).is_some()
    }

    /// The keys directly below `path` (`None` when `path` is absent).
    pub fn keys(&self, path: &[&str]) -> Option<Vec<&str>> {
        let children = match path {
            [] => &self.root,
            _ => &self.find(path)?.children,
        };
        Some(children.iter().map(|e| e.key.as_str()).collect())
    }

    /// The indentation the entries below `path` use (its own plus two when it has none yet).
    pub fn child_indent(&self, path: &[&str]) -> Option<usize> {
        if path.is_empty() {
            return Some(0);
        }
        let entry = self.find(path)?;
        Some(
            entry
                .children
                .first()
                .map_or(entry.indent + 2, |c| c.indent),
        )
    }

    /// Adds `block` (whole lines, already indented) as the last entry of the mapping at `path`.
    /// `false` when there is no such mapping or its value sits on its key's line (a flow
    /// mapping), which an addition cannot extend.
    pub fn append(&mut self, path: &[&str], block: &str) -> bool {
        let at = match path {
            [] => self.lines.len(),
            _ => match self.find(path) {
                Some(entry) if entry.children.is_empty() && !self.value_below(entry) => {
                    return false;
                }
                Some(entry) => entry.end,
                None => return false,
            },
        };
        let new: Vec<String> = block.lines().map(str::to_owned).collect();
        self.lines.splice(at..at, new);
        let text = self.text();
        *self = Outline::parse(&text);
        true
    }

    /// Whether the entry's value is written below its key line (not `key: value`).
    fn value_below(&self, entry: &Entry) -> bool {
        let line = &self.lines[entry.line];
        let value = line.split_once(':').map_or("", |(_, v)| v);
        let value = value.split(" #").next().unwrap_or("").trim();
        value.is_empty()
    }

    pub fn text(&self) -> String {
        let mut out = self.lines.join("\n");
        out.push('\n');
        out
    }
}

/// The entries at one level: those after `pos` indented deeper than `parent`.
fn build(
    lines: &[String],
    flat: &[(usize, usize, String)],
    pos: &mut usize,
    parent: Option<usize>,
) -> Vec<Entry> {
    let mut entries = Vec::new();
    while let Some((line, indent, key)) = flat.get(*pos).cloned() {
        if parent.is_some_and(|p| indent <= p) {
            break;
        }
        *pos += 1;
        let children = build(lines, flat, pos, Some(indent));
        // The value runs to the line before the next key at this indentation or shallower.
        let next = flat.get(*pos).map_or(lines.len(), |(l, _, _)| *l);
        let mut end = next;
        while end > line + 1 && blank(&lines[end - 1]) {
            end -= 1;
        }
        // Comment lines just above the next key at this level belong to it.
        let end = end.max(line + 1);
        entries.push(Entry {
            key,
            indent,
            line,
            end,
            children,
        });
    }
    entries
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: &str = "\
# head
vendor:
  name: x   # kept
  description: >-
    text: that looks like a key
resources:
  a:
    doc: A.
    operations:
      list:
        doc: Lists.

      # a comment about get
      get:
        doc: Gets.
  b:
    operations: {}
models:
  A:
    fields:
      id: {type: integer, doc: Id.}
";

    #[test]
    fn keys_nest_by_indentation_and_block_scalars_are_text() {
        let o = Outline::parse(SPEC);
        assert_eq!(o.keys(&[]).unwrap(), ["vendor", "resources", "models"]);
        assert_eq!(o.keys(&["vendor"]).unwrap(), ["name", "description"]);
        assert_eq!(
            o.keys(&["resources", "a", "operations"]).unwrap(),
            ["list", "get"]
        );
        assert!(o.has(&["models", "A", "fields", "id"]));
        assert!(!o.has(&["models", "B"]));
    }

    #[test]
    fn appending_keeps_every_line_and_lands_at_the_end_of_the_mapping() {
        let mut o = Outline::parse(SPEC);
        assert!(o.append(
            &["resources", "a", "operations"],
            "      delete:\n        doc: Deletes.\n"
        ));
        assert!(o.append(
            &["models", "A", "fields"],
            "      name: {type: string, doc: Name.}\n"
        ));
        assert!(o.append(&["resources"], "  c:\n    doc: C.\n"));
        // A flow mapping cannot take an entry.
        assert!(!o.append(&["resources", "b", "operations"], "      x: {}\n"));
        let text = o.text();
        let want = SPEC
            .replace(
                "        doc: Gets.\n",
                "        doc: Gets.\n      delete:\n        doc: Deletes.\n",
            )
            .replace(
                "    operations: {}\n",
                "    operations: {}\n  c:\n    doc: C.\n",
            )
            .replace(
                "      id: {type: integer, doc: Id.}\n",
                "      id: {type: integer, doc: Id.}\n      name: {type: string, doc: Name.}\n",
            );
        assert_eq!(text, want);
        assert_eq!(
            o.keys(&["resources", "a", "operations"]).unwrap(),
            ["list", "get", "delete"]
        );
        assert_eq!(o.child_indent(&["resources", "a", "operations"]), Some(6));
    }
}
