//! A response as the sandbox builds it, before it becomes an HTTP response.

use axum::body::Body as AxumBody;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::Response;

use crate::ordered_json::Out;

/// The body of a [`Reply`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Body {
    Empty,
    Json(String),
    Xml(String),
    Html(String),
    Text(String),
    Bytes(Vec<u8>),
}

/// Status, body and extra headers of one answer.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Reply {
    pub status: u16,
    pub body: Body,
    pub headers: Vec<(String, String)>,
}

impl Reply {
    pub(crate) fn json(status: u16, body: &Out) -> Reply {
        Reply {
            status,
            body: Body::Json(body.to_json()),
            headers: Vec::new(),
        }
    }

    pub(crate) fn xml(status: u16, document: String) -> Reply {
        Reply {
            status,
            body: Body::Xml(document),
            headers: Vec::new(),
        }
    }

    /// A binary body with its content type.
    pub(crate) fn bytes(status: u16, content_type: &str, bytes: Vec<u8>) -> Reply {
        Reply {
            status,
            body: Body::Bytes(bytes),
            headers: vec![("Content-Type".to_owned(), content_type.to_owned())],
        }
    }

    pub(crate) fn empty(status: u16) -> Reply {
        Reply {
            status,
            body: Body::Empty,
            headers: Vec::new(),
        }
    }

    pub(crate) fn html(status: u16, html: &str) -> Reply {
        Reply {
            status,
            body: Body::Html(html.to_owned()),
            headers: Vec::new(),
        }
    }

    pub(crate) fn text(status: u16, text: impl Into<String>) -> Reply {
        Reply {
            status,
            body: Body::Text(text.into()),
            headers: Vec::new(),
        }
    }

    pub(crate) fn with_header(
        mut self,
        name: impl Into<String>,
        value: impl Into<String>,
    ) -> Reply {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// The body parsed as JSON (tests only).
    #[cfg(test)]
    pub(crate) fn json_value(&self) -> serde_json::Value {
        match &self.body {
            Body::Json(text) => serde_json::from_str(text).expect("reply body is JSON"),
            other => panic!("not a JSON body: {other:?}"),
        }
    }

    pub(crate) fn into_response(self) -> Response {
        let (content_type, body) = match self.body {
            Body::Empty => (None, AxumBody::empty()),
            Body::Json(text) => (Some("application/json"), AxumBody::from(text)),
            Body::Xml(text) => (Some("application/xml; charset=utf-8"), AxumBody::from(text)),
            // The content type travels in the reply's own headers.
            Body::Bytes(bytes) => (None, AxumBody::from(bytes)),
            Body::Html(text) => (Some("text/html; charset=utf-8"), AxumBody::from(text)),
            Body::Text(text) => (Some("text/plain; charset=utf-8"), AxumBody::from(text)),
        };
        let mut response = Response::new(body);
        *response.status_mut() =
            StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let headers = response.headers_mut();
        if let Some(content_type) = content_type {
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        }
        for (name, value) in self.headers {
            if let (Ok(name), Ok(value)) =
                (HeaderName::try_from(name), HeaderValue::try_from(value))
            {
                headers.append(name, value);
            }
        }
        response
    }
}
