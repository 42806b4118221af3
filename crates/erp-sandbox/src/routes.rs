//! Matching a request path against the full path templates of the spec's operations.
//!
//! Paths are compared segment by segment below the base path: literal segments must be equal and
//! `{param}` matches a non-empty part of one segment; a segment may mix literals and parameters
//! (`Accounts({id})`, `{id}.xml`), the literals kept. A trailing slash is a segment of its own, so
//! Cloudspot's `/artikels/` does not match `/artikels` (the sandbox answers 404 in the vendor's
//! error shape, as a Django backend without slash redirects would). When several operations share
//! a method and path (Cloudspot's list and get-by-`?id=`), the one whose required query
//! parameters are all present and most numerous wins.
//!
//! Vendors that count without fetching (see [`counts_with_head`]) also get a `HEAD` route on the
//! path of each paged list.

use erp_spec::ir::{ListEnvelope, Operation, OperationKind, Paging, Spec, WireFormat};

/// Whether `HEAD` on the route of `op` answers the number of matching records in
/// `X-Total-Count` (Billomat's counting without fetching): paged lists of JSON vendors with
/// page-number paging and `resource_root` list envelopes.
pub(crate) fn counts_with_head(spec: &Spec, op: &Operation) -> bool {
    spec.wire.format == WireFormat::Json
        && matches!(spec.envelope.list, ListEnvelope::ResourceRoot { .. })
        && matches!(op.paging, Paging::PageNumber { .. })
        && op.kind == OperationKind::List
}

/// A part of one path segment.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Literal(String),
    Param(String),
}

/// One segment of a path template: literals and parameters (`things({id})` is three pieces).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Segment(Vec<Piece>);

impl Segment {
    fn parse(text: &str) -> Segment {
        let mut pieces = Vec::new();
        let mut rest = text;
        while let Some(start) = rest.find('{') {
            if start > 0 {
                pieces.push(Piece::Literal(rest[..start].to_owned()));
            }
            let after = &rest[start + 1..];
            let end = after.find('}').unwrap_or(after.len());
            pieces.push(Piece::Param(after[..end].to_owned()));
            rest = after.get(end + 1..).unwrap_or("");
        }
        if !rest.is_empty() || pieces.is_empty() {
            pieces.push(Piece::Literal(rest.to_owned()));
        }
        Segment(pieces)
    }

    /// Whether the segment has any literal text (more specific than a bare parameter).
    fn has_literal(&self) -> bool {
        self.0.iter().any(|p| matches!(p, Piece::Literal(_)))
    }

    /// The parameters of `part` when it matches, each non-empty.
    fn matches(&self, part: &str, params: &mut Vec<(String, String)>) -> bool {
        fn go(pieces: &[Piece], part: &str, params: &mut Vec<(String, String)>) -> bool {
            match pieces {
                [] => part.is_empty(),
                [Piece::Literal(lit), rest @ ..] => part
                    .strip_prefix(lit.as_str())
                    .is_some_and(|p| go(rest, p, params)),
                [Piece::Param(name)] => {
                    !part.is_empty() && {
                        params.push((name.clone(), decode(part)));
                        true
                    }
                }
                [Piece::Param(name), Piece::Literal(lit), rest @ ..] => {
                    // The value ends at the last place the following literal allows a match.
                    let mut ends: Vec<usize> =
                        part.match_indices(lit.as_str()).map(|(i, _)| i).collect();
                    ends.reverse();
                    ends.into_iter().filter(|i| *i > 0).any(|i| {
                        let mark = params.len();
                        params.push((name.clone(), decode(&part[..i])));
                        let ok = go(rest, &part[i + lit.len()..], params);
                        if !ok {
                            params.truncate(mark);
                        }
                        ok
                    })
                }
                // Two parameters side by side cannot be told apart.
                [Piece::Param(_), Piece::Param(_), ..] => false,
            }
        }
        go(&self.0, part, params)
    }
}

/// A percent-decoded path parameter (clients encode what is not unreserved).
fn decode(part: &str) -> String {
    let bytes = part.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(b) = part
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// One operation's route.
#[derive(Debug, Clone)]
pub(crate) struct Route {
    pub resource: usize,
    pub operation: usize,
    method: &'static str,
    segments: Vec<Segment>,
    /// `key=value` pairs fixed in the template after `?`.
    fixed_query: Vec<(String, String)>,
    required_query: Vec<String>,
    /// The media type the operation answers with; of two operations on one path, the one the
    /// request's `Accept` names wins (Billomat's PDF as JSON or as the file).
    accept: String,
}

/// The outcome of matching one request.
#[derive(Debug, PartialEq)]
pub(crate) enum Match<'a> {
    Operation {
        route: &'a Route,
        params: Vec<(String, String)>,
    },
    /// The path exists, but not for this method; holds the allowed methods.
    MethodNotAllowed(Vec<&'static str>),
    NotFound,
}

impl PartialEq for Route {
    fn eq(&self, other: &Route) -> bool {
        (self.resource, self.operation) == (other.resource, other.operation)
    }
}

/// Every operation's route.
#[derive(Debug, Clone, Default)]
pub(crate) struct RouteTable {
    routes: Vec<Route>,
}

fn split(path: &str) -> Vec<&str> {
    path.strip_prefix('/').unwrap_or(path).split('/').collect()
}

impl RouteTable {
    pub(crate) fn new(spec: &Spec) -> RouteTable {
        let mut routes = Vec::new();
        for (r, resource) in spec.resources.iter().enumerate() {
            for (o, op) in resource.operations.iter().enumerate() {
                let (path, fixed) = op.path.split_once('?').unwrap_or((op.path.as_str(), ""));
                let segments = split(path).into_iter().map(Segment::parse).collect();
                let fixed_query = fixed
                    .split('&')
                    .filter(|p| !p.is_empty())
                    .map(|p| {
                        let (k, v) = p.split_once('=').unwrap_or((p, ""));
                        (k.to_owned(), v.to_owned())
                    })
                    .collect();
                let required_query = op
                    .query
                    .iter()
                    .filter(|q| q.required)
                    .map(|q| q.wire_name.clone())
                    .collect();
                let route = Route {
                    resource: r,
                    operation: o,
                    method: op.method.as_str(),
                    segments,
                    fixed_query,
                    required_query,
                    accept: op.accept.clone(),
                };
                if counts_with_head(spec, op) {
                    routes.push(Route {
                        method: "HEAD",
                        ..route.clone()
                    });
                }
                routes.push(route);
            }
        }
        RouteTable { routes }
    }

    /// Matches `method` and `path` (below the base path, starting with `/`); `accept` is the
    /// request's `Accept` header.
    pub(crate) fn find(
        &self,
        method: &str,
        path: &str,
        query: &[(String, String)],
        accept: Option<&str>,
    ) -> Match<'_> {
        let parts = split(path);
        let has = |key: &str, value: Option<&str>| {
            query.iter().any(|(k, v)| {
                k == key && value.is_none_or(|want| v == want) && (value.is_some() || !v.is_empty())
            })
        };
        let mut allowed: Vec<&'static str> = Vec::new();
        let mut best: Option<Candidate<'_>> = None;
        for route in &self.routes {
            let Some(params) = match_segments(&route.segments, &parts) else {
                continue;
            };
            if !route.fixed_query.iter().all(|(k, v)| has(k, Some(v))) {
                continue;
            }
            if route.method != method {
                if !allowed.contains(&route.method) {
                    allowed.push(route.method);
                }
                continue;
            }
            let literals =
                route.segments.iter().filter(|s| s.has_literal()).count() + route.fixed_query.len();
            let present = route.required_query.iter().filter(|q| has(q, None)).count();
            let missing = route.required_query.len() - present;
            // Prefer more literal segments, then routes whose required query parameters are all
            // present (the more the better), then the fewest missing ones, then the one whose
            // media type the request accepts.
            let accepted = accept.is_some_and(|a| a.contains(route.accept.as_str()));
            let score = (
                literals,
                missing == 0,
                present,
                usize::MAX - missing,
                accepted,
            );
            if best.as_ref().is_none_or(|b| score > b.score) {
                best = Some(Candidate {
                    score,
                    route,
                    params,
                });
            }
        }
        match best {
            Some(Candidate { route, params, .. }) => Match::Operation { route, params },
            None if !allowed.is_empty() => Match::MethodNotAllowed(allowed),
            None => Match::NotFound,
        }
    }
}

/// A route that matched, with its preference score.
struct Candidate<'a> {
    score: (usize, bool, usize, usize, bool),
    route: &'a Route,
    params: Vec<(String, String)>,
}

fn match_segments(template: &[Segment], parts: &[&str]) -> Option<Vec<(String, String)>> {
    if template.len() != parts.len() {
        return None;
    }
    let mut params = Vec::new();
    for (segment, part) in template.iter().zip(parts) {
        if !segment.matches(part, &mut params) {
            return None;
        }
    }
    Some(params)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(vendor: &str) -> (Spec, RouteTable) {
        let spec = crate::builtin::load(vendor).expect("spec");
        let table = RouteTable::new(&spec);
        (spec, table)
    }

    fn op_name<'a>(spec: &'a Spec, m: &Match<'_>) -> &'a str {
        match m {
            Match::Operation { route, .. } => {
                &spec.resources[route.resource].operations[route.operation].name
            }
            other => panic!("no operation: {other:?}"),
        }
    }

    fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn one_path_in_two_media_types_is_chosen_by_accept() {
        let (spec, t) = table("billomat");
        let pdf = |accept| op_name(&spec, &t.find("GET", "/invoices/7/pdf", &[], accept));
        assert_eq!(pdf(Some("application/json")), "pdf");
        assert_eq!(pdf(Some("application/pdf")), "pdf_file");
        assert_eq!(pdf(Some("text/html, application/pdf;q=0.9")), "pdf_file");
    }

    #[test]
    fn billomat_routes() {
        let (spec, t) = table("billomat");
        assert_eq!(
            op_name(&spec, &t.find("GET", "/clients", &[], None)),
            "list"
        );
        let m = t.find("GET", "/clients/42", &[], None);
        assert_eq!(op_name(&spec, &m), "get");
        let Match::Operation { params, .. } = m else {
            unreachable!()
        };
        assert_eq!(params, q(&[("id", "42")]));
        assert_eq!(
            op_name(&spec, &t.find("PUT", "/clients/42", &[], None)),
            "update"
        );
        assert_eq!(
            op_name(&spec, &t.find("DELETE", "/contacts/1", &[], None)),
            "delete"
        );
        assert_eq!(
            t.find("PATCH", "/clients/42", &[], None),
            Match::MethodNotAllowed(vec!["DELETE", "GET", "PUT"])
        );
        assert_eq!(
            t.find("DELETE", "/client-property-values/1", &[], None),
            Match::MethodNotAllowed(vec!["GET"])
        );
        assert_eq!(t.find("GET", "/clients/", &[], None), Match::NotFound);
        assert_eq!(
            t.find("GET", "/clients/1/extra", &[], None),
            Match::NotFound
        );
        assert_eq!(t.find("GET", "/no-such-things", &[], None), Match::NotFound);
        assert_eq!(
            op_name(&spec, &t.find("HEAD", "/clients", &[], None)),
            "list"
        );
        assert_eq!(
            t.find("HEAD", "/clients/42", &[], None),
            Match::MethodNotAllowed(vec!["DELETE", "GET", "PUT"])
        );
        let Match::MethodNotAllowed(allowed) = t.find("PATCH", "/clients", &[], None) else {
            panic!("405 expected")
        };
        assert!(allowed.contains(&"HEAD") && allowed.contains(&"GET"));
    }

    #[test]
    fn parameters_inside_segments() {
        let seg = Segment::parse("Accounts(guid'{id}')");
        let mut params = Vec::new();
        assert!(seg.matches("Accounts(guid'5f9f-4d7c')", &mut params));
        assert_eq!(params, q(&[("id", "5f9f-4d7c")]));
        let mut params = Vec::new();
        assert!(!seg.matches("Accounts(guid'')", &mut params));
        assert!(!seg.matches("Contacts(guid'x')", &mut params));
        let seg = Segment::parse("{id}.xml");
        let mut params = Vec::new();
        assert!(
            seg.matches("a.b.xml", &mut params),
            "the last `.xml` ends the value"
        );
        assert_eq!(params, q(&[("id", "a.b")]));
        let mut params = Vec::new();
        assert!(Segment::parse("{name}").matches("M%C3%BCller", &mut params));
        assert_eq!(params, q(&[("name", "Müller")]));
        assert!(Segment::parse("things").has_literal() && !Segment::parse("{id}").has_literal());
    }

    #[test]
    fn cloudspot_list_and_get_share_a_path() {
        let (spec, t) = table("cloudspot");
        assert_eq!(
            op_name(&spec, &t.find("GET", "/artikels/", &[], None)),
            "list"
        );
        assert_eq!(
            op_name(
                &spec,
                &t.find("GET", "/artikels/", &q(&[("id", "3")]), None)
            ),
            "get"
        );
        assert_eq!(
            op_name(&spec, &t.find("GET", "/artikels/", &q(&[("id", "")]), None)),
            "list"
        );
        assert_eq!(
            op_name(&spec, &t.find("GET", "/klanten/", &q(&[("id", "3")]), None)),
            "list"
        );
        assert_eq!(t.find("GET", "/artikels", &[], None), Match::NotFound);
        assert_eq!(
            t.find("POST", "/artikels/", &[], None),
            Match::MethodNotAllowed(vec!["GET"])
        );
        assert_eq!(
            t.find("HEAD", "/artikels/", &[], None),
            Match::MethodNotAllowed(vec!["GET"])
        );
    }
}
