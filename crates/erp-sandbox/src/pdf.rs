//! The files the sandbox serves: a small, valid PDF document (one page showing a title), as
//! a viewer or a PDF library would accept it, padded to a size that makes streaming visible.

use std::fmt::Write as _;

/// A one-page PDF 1.4 showing `title`, at least `min_len` bytes long (padding is a comment
/// block before the first object, which every reader skips). The cross-reference table holds
/// the byte offset of each object, so the file opens without repair.
pub(crate) fn document(title: &str, min_len: usize) -> Vec<u8> {
    // Text strings in a content stream escape `\`, `(` and `)`; the title is kept to ASCII.
    let text: String = title
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '?'
            }
        })
        .flat_map(|c| match c {
            '\\' | '(' | ')' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    let content = format!("BT /F1 18 Tf 72 720 Td ({text}) Tj ET\n");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>".to_owned(),
        format!("<< /Length {} >>\nstream\n{content}endstream", content.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_owned(),
    ];
    // Padding lines until the whole file reaches `min_len` (the objects' offsets move with it).
    let mut padding = 0usize;
    loop {
        let file = build(&objects, padding);
        if file.len() >= min_len {
            return file;
        }
        padding += (min_len - file.len()).div_ceil(PADDING_LINE_LEN);
    }
}

/// Length of one padding line (`% sandbox padding line 000000\n`).
const PADDING_LINE_LEN: usize = 30;

fn build(objects: &[String], padding: usize) -> Vec<u8> {
    let mut out = String::from("%PDF-1.4\n%\u{e2}\u{e3}\u{cf}\u{d3}\n");
    for line in 0..padding {
        let _ = writeln!(out, "% sandbox padding line {line:06}");
    }
    let mut offsets = Vec::with_capacity(objects.len());
    for (i, object) in objects.iter().enumerate() {
        offsets.push(out.len());
        let _ = write!(out, "{} 0 obj\n{object}\nendobj\n", i + 1);
    }
    let xref = out.len();
    let _ = write!(out, "xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1);
    for offset in offsets {
        let _ = writeln!(out, "{offset:010} 00000 n ");
    }
    let _ = write!(
        out,
        "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
        objects.len() + 1
    );
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cross_reference_table_points_at_every_object() {
        let pdf = document("Billomat invoices (7)", 64 * 1024);
        assert!(pdf.len() >= 64 * 1024);
        assert!(pdf.starts_with(b"%PDF-1.4\n"));
        assert!(pdf.ends_with(b"%%EOF\n"));
        let text = String::from_utf8_lossy(&pdf);
        let startxref: usize = text
            .rsplit("startxref\n")
            .next()
            .and_then(|t| t.lines().next())
            .and_then(|n| n.parse().ok())
            .expect("startxref");
        assert!(pdf[startxref..].starts_with(b"xref\n0 6\n"));
        let table = std::str::from_utf8(&pdf[startxref..]).expect("ascii table");
        for (n, line) in table.lines().skip(3).take(5).enumerate() {
            let offset: usize = line[..10].parse().expect("offset");
            let want = format!("{} 0 obj\n", n + 1);
            assert!(
                pdf[offset..].starts_with(want.as_bytes()),
                "object {}",
                n + 1
            );
        }
        assert!(text.contains("(Billomat invoices \\(7\\)) Tj"));
        // The stream's length is the content's.
        let start = text.find(">>\nstream\n").expect("stream") + ">>\nstream\n".len();
        let end = text.find("endstream").expect("endstream");
        let content = &text[start..end];
        assert!(text.contains(&format!("/Length {}", content.len())));
    }
}
